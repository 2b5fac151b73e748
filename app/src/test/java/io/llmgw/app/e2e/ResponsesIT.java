package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIException;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseRetrieveParams;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import io.llmgw.schemas.Json;
import io.llmgw.simulator.LlmSimulator;
import io.llmgw.simulator.SimulatedReply;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /v1/responses} with the official SDK through the whole Kafka path, the simulator as host: sync and streamed
 * responses come back as the host made them (with the gateway's id), background responses can be retrieved, resumed
 * after a sequence number and cancelled (the host's call is aborted), unknown models and ids are 404, and a host that
 * fails mid-stream makes the SDK raise.
 */
class ResponsesIT {

    private static E2eStack stack;
    private static LlmSimulator host;
    private static OpenAIClient client;

    @BeforeAll
    static void startStack() {
        stack = E2eStack.shared();
        host = stack.stack().simulator();
        client = stack.client();
    }

    private static ResponseCreateParams.Builder params(final String input, final Map<String, Object> xSim) {
        return ResponseCreateParams.builder().model(E2eStack.GPT).input(input)
                .putAdditionalBodyProperty("x_sim", JsonValue.from(xSim));
    }

    private static String outputText(final Response response) {
        final StringBuilder text = new StringBuilder();
        response.output().forEach(item -> item.message().ifPresent(message -> message.content().forEach(
                content -> content.outputText().ifPresent(part -> text.append(part.text())))));
        return text.toString();
    }

    private static List<String> deltas(final StreamResponse<ResponseStreamEvent> stream) {
        final List<String> deltas = new ArrayList<>();
        stream.stream().forEach(event -> event.outputTextDelta().ifPresent(delta -> deltas.add(delta.delta())));
        return deltas;
    }

    @Test
    void shouldAnswerASyncResponseWithTheHostsOutputAndTheGatewaysId() {
        final Response response = client.responses().create(params("Привет, как дела?", Map.of("key", "resp-sync"))
                .build());

        assertEquals(SimulatedReply.PREFIX + "Привет, как дела?", outputText(response));
        assertEquals(ResponseStatus.COMPLETED, response.status().orElseThrow());
        assertTrue(response.id().startsWith("resp_"), response.id());
        final Response retrieved = client.responses().retrieve(response.id());
        assertEquals(response.id(), retrieved.id());
        assertEquals(outputText(response), outputText(retrieved));
    }

    @Test
    void shouldHandTheHostItsOwnIdWhenAClientContinuesFromOneOfOurResponses() {
        final Response first = client.responses().create(params("first turn", Map.of("key", "resp-turn-1")).build());

        client.responses().create(params("second turn", Map.of("key", "resp-turn-2"))
                .previousResponseId(first.id()).build());

        final String hostsId = first._additionalProperties().get("upstream_id").convert(String.class);
        final JsonNode second = host.recentRequests().stream()
                .filter(r -> "resp-turn-2".equals(r.simKey().orElse(null))).findFirst().orElseThrow().body();
        assertEquals(hostsId, second.get("previous_response_id").asText());
        assertFalse(hostsId.equals(first.id()), "the client saw the gateway's id, the host gets its own");
    }

    @Test
    void shouldStreamEveryDeltaInOrder() {
        final String input = "stream me through kafka please";
        final List<String> deltas;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                params(input, Map.of("key", "resp-stream")).build())) {
            deltas = deltas(stream);
        }

        assertEquals(SimulatedReply.tokenize(SimulatedReply.PREFIX + input), deltas);
    }

    @Test
    void shouldSendTypedEventsWithTheGatewaysIdAndConsecutiveSequenceNumbers() throws Exception {
        final Http.Reply reply = Http.post(stack.gatewayUrl() + "/responses", "{\"model\":\"" + E2eStack.GPT
                + "\",\"input\":\"one two\",\"stream\":true}");

        assertEquals(200, reply.status(), reply.body());
        final List<JsonNode> events = events(reply.body());
        final String id = "resp_" + reply.header("X-Request-Id").substring("req_".length());
        assertEquals("response.created", events.getFirst().get("type").asText());
        assertEquals("response.completed", events.getLast().get("type").asText());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, events.get(i).get("sequence_number").asLong(), "event " + i);
            if (events.get(i).has("response")) {
                assertEquals(id, events.get(i).at("/response/id").asText());
            }
        }
        assertEquals(SimulatedReply.PREFIX + "one two", events.getLast().at("/response/output/0/content/0/text").asText());
        assertFalse(reply.body().contains("[DONE]"), "Responses streams carry no [DONE]");
    }

    @Test
    void shouldRunABackgroundResponseUntilItCanBeRetrievedCompleted() {
        final Response queued = client.responses().create(params("in the background",
                Map.of("key", "resp-background")).background(true).build());

        assertEquals(ResponseStatus.QUEUED, queued.status().orElseThrow());
        final Response done = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> client.responses().retrieve(queued.id()),
                        response -> ResponseStatus.COMPLETED.equals(response.status().orElseThrow()));
        assertEquals(queued.id(), done.id());
        assertEquals(SimulatedReply.PREFIX + "in the background", outputText(done));
    }

    @Test
    void shouldResumeABackgroundResponseAfterASequenceNumber() {
        final String input = "a b c d e f g h";
        final Response queued = client.responses().create(params(input,
                Map.of("key", "resp-resume", "tokens_per_second", 20)).background(true).build());

        final List<String> deltas;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().retrieveStreaming(queued.id(),
                ResponseRetrieveParams.builder().startingAfter(5).build())) {
            deltas = deltas(stream);
        }

        // events 0-3 are created, in_progress, output_item.added and content_part.added; 4 and 5 the first deltas
        final List<String> all = SimulatedReply.tokenize(SimulatedReply.PREFIX + input);
        assertEquals(all.subList(2, all.size()), deltas);
    }

    @Test
    void shouldCancelABackgroundResponseAndAbortTheHostsCall() {
        final Response queued = client.responses().create(params("cancel me",
                Map.of("key", "resp-cancel", "tokens", 400, "tokens_per_second", 10)).maxOutputTokens(1000)
                .background(true).build());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> client.responses().retrieve(queued.id()).status().orElseThrow(),
                        ResponseStatus.IN_PROGRESS::equals);

        final Response cancelled = client.responses().cancel(queued.id());

        assertEquals(ResponseStatus.CANCELLED, cancelled.status().orElseThrow());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.clientCancels().stream()
                .anyMatch(cancel -> cancel.key().equals("resp-cancel")));
        assertEquals(ResponseStatus.CANCELLED, client.responses().retrieve(queued.id()).status().orElseThrow());
    }

    @Test
    void shouldCancelTheHostsCallWhenTheClientOfAStreamGoesAway() throws Exception {
        final RawHttp client = RawHttp.post(stack.gatewayUrl() + "/responses", "{\"model\":\"" + E2eStack.GPT
                + "\",\"input\":\"leave\",\"stream\":true,\"max_output_tokens\":1000,"
                + "\"x_sim\":{\"key\":\"resp-leave\",\"tokens\":400,\"tokens_per_second\":20}}");
        client.readUntil("event: response.output_text.delta");

        client.close();

        await().atMost(Duration.ofSeconds(5)).until(() -> host.clientCancels().stream()
                .anyMatch(cancel -> cancel.key().equals("resp-leave") && cancel.eventsSent() < 100));
    }

    @Test
    void shouldAnswerAnUnknownModelAndAnUnknownIdWithNotFound() {
        final NotFoundException model = assertThrows(NotFoundException.class, () -> client.responses().create(
                ResponseCreateParams.builder().model("no-such-model").input("hi").build()));
        final NotFoundException id = assertThrows(NotFoundException.class,
                () -> client.responses().retrieve("resp_00112233445566778899aabb"));

        assertEquals(404, model.statusCode());
        assertEquals(404, id.statusCode());
    }

    @Test
    void shouldMakeTheSdkRaiseWhenTheHostFailsMidStream() {
        final List<String> deltas = new ArrayList<>();
        final OpenAIException e = assertThrows(OpenAIException.class, () -> {
            try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                    params("fail after two tokens", Map.of("key", "resp-fail", "error_after", 6)).build())) {
                stream.stream().forEach(event -> event.outputTextDelta().ifPresent(d -> deltas.add(d.delta())));
            }
        });

        assertEquals(2, deltas.size(), "the deltas before the failure arrived");
        assertTrue(e.getMessage().contains("Simulated engine failure"), e.getMessage());
    }

    /** The data of each {@code event:}/{@code data:} pair, checking that the event name is the data's type. */
    private static List<JsonNode> events(final String body) throws Exception {
        final List<JsonNode> events = new ArrayList<>();
        String name = null;
        for (final String line : body.split("\n")) {
            if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("data: ")) {
                final JsonNode data = Json.MAPPER.readTree(line.substring(6));
                assertEquals(name, data.get("type").asText());
                events.add(data);
                name = null;
            }
        }
        return events;
    }
}
