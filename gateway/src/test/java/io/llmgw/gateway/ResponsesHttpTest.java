package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Responses API routes of the gateway over real HTTP, with a recording publisher playing the worker. */
class ResponsesHttpTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final MediaType JSON = MediaType.get("application/json");
    private static final String SYNC = "{\"model\":\"gpt-4o\",\"input\":\"hi\"}";
    private static final String STREAM = "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"stream\":true}";

    private final OkHttpClient client = new OkHttpClient.Builder().readTimeout(WAIT).build();
    private final RecordingPublisher publisher = new RecordingPublisher();
    private final PendingReplies replies = new PendingReplies();
    private final ReplyPartitions partitions = ReplyPartitions.parse("0-5");
    private final FakeRequests requests = new FakeRequests();
    private final FakeEventLog eventLog = new FakeEventLog();
    private Javalin app;
    private String base;

    @BeforeEach
    void start() {
        final GatewayConfig config = new GatewayConfig("127.0.0.1", 0, Set.of(), 4096, WAIT, Duration.ofSeconds(1),
                Duration.ofSeconds(15), Optional.of(partitions), "gw-test", new Topics("test"), Duration.ofHours(1),
                "127.0.0.1", 2);
        final FakeModels models = FakeModels.of("gpt-4o");
        app = new GatewayHttp(config, models, publisher, replies, new RequestIdMint(partitions, 6), () -> true,
                () -> Map.of("models", true), new GatewayMetrics(), requests, eventLog,
                new BearerAuth(config.apiKeys())).create()
                .start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + app.port();
    }

    @AfterEach
    void stop() {
        client.connectionPool().evictAll();
        app.stop();
    }

    private Response call(final Request.Builder request) throws IOException {
        return client.newCall(request.build()).execute();
    }

    private Request.Builder post(final String path, final String body) {
        return new Request.Builder().url(base + path).post(RequestBody.create(body, JSON));
    }

    private static ResponseEvent chunk(final String id, final long seq, final JsonNode data) {
        return new ResponseEvent(id, seq, EventType.CHUNK, null, data, null, 0, 1);
    }

    private static ObjectNode hostEvent(final String type, final long hostSeq) {
        final ObjectNode event = Json.object().put("type", type).put("sequence_number", hostSeq);
        if (type.startsWith("response.") && !type.contains("delta")) {
            event.putObject("response").put("id", "resp_host").put("status", "in_progress");
        } else {
            event.put("delta", "Hi");
        }
        return event;
    }

    private static String responseIdOf(final Response response) {
        return ResponseIds.of(response.header(GatewayHttp.REQUEST_ID_HEADER));
    }

    private static RequestState state(final String requestId, final RequestStatus status, final boolean detached,
                                      final JsonNode response) {
        return new RequestState(requestId, status, "gpt-4o", Endpoint.RESPONSES, true, detached, null, 1_000_000,
                0, 1_000_000, 0, 0, 0, 0, response, null);
    }

    @Test
    void shouldAnswerTheHostsResponseObjectWithTheGatewaysId() throws IOException {
        publisher.onPublish = envelope -> replies.dispatch(Events.complete(envelope.id(), 0, 1,
                Json.object().put("id", "resp_host").put("object", "response").put("status", "completed")));

        try (Response response = call(post("/v1/responses", SYNC))) {
            assertEquals(200, response.code());
            final JsonNode body = Json.MAPPER.readTree(response.body().string());
            assertEquals(responseIdOf(response), body.get("id").asText());
            assertEquals("resp_host", body.get(ResponseIds.UPSTREAM_ID).asText());
            assertEquals("completed", body.get("status").asText());
        }
    }

    @Test
    void shouldStreamTypedEventsRenumberedWithOurIdAndNoDone() throws IOException {
        publisher.onPublish = envelope -> {
            replies.dispatch(chunk(envelope.id(), 0, hostEvent("response.created", 7)));
            replies.dispatch(chunk(envelope.id(), 1, hostEvent("response.output_text.delta", 8)));
            replies.dispatch(chunk(envelope.id(), 2, hostEvent("response.completed", 9)));
            replies.dispatch(Events.complete(envelope.id(), 3, 1, null));
        };

        try (Response response = call(post("/v1/responses", STREAM))) {
            final String body = response.body().string();
            final List<JsonNode> events = dataOf(body);
            assertEquals(List.of("event: response.created", "event: response.output_text.delta",
                    "event: response.completed"), body.lines().filter(l -> l.startsWith("event:")).toList());
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i, events.get(i).get("sequence_number").asInt());
            }
            assertEquals(responseIdOf(response), events.get(0).at("/response/id").asText());
            assertEquals(responseIdOf(response), events.get(2).at("/response/id").asText());
            assertFalse(body.contains("[DONE]"), body);
        }
    }

    @Test
    void shouldEndAStreamThatFailsWithAnErrorEventTheSdksRaiseFor() throws IOException {
        publisher.onPublish = envelope -> {
            replies.dispatch(chunk(envelope.id(), 0, hostEvent("response.created", 0)));
            replies.dispatch(Events.error(envelope.id(), 1, 1, ApiError.upstream(502, "engine died")));
        };

        try (Response response = call(post("/v1/responses", STREAM))) {
            final String body = response.body().string();
            assertTrue(body.contains("event: error\n"), body);
            final JsonNode error = dataOf(body).getLast();
            assertEquals("error", error.get("type").asText());
            assertEquals("engine died", error.get("message").asText());
            assertEquals(1, error.get("sequence_number").asInt());
            assertEquals("engine died", error.at("/error/message").asText(), "the key that makes SDKs raise");
        }
    }

    @Test
    void shouldQueueABackgroundResponseAtOnceAndStreamItFromTheHost() throws Exception {
        try (Response response = call(post("/v1/responses",
                "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"background\":true}"))) {
            assertEquals(200, response.code());
            final JsonNode body = Json.MAPPER.readTree(response.body().string());
            assertEquals("queued", body.get("status").asText());
            assertEquals(responseIdOf(response), body.get("id").asText());
            assertTrue(body.get("background").asBoolean());
        }
        final RequestEnvelope published = publisher.nextPublished(WAIT);
        assertNotNull(published);
        assertTrue(published.detached(), "no disconnect cancels it");
        assertTrue(published.stream());
        assertTrue(published.body().get("stream").asBoolean());
        assertFalse(published.body().has("background"), "the host answers now; the gateway holds the background");
    }

    @Test
    void shouldStillAnswerAnAsyncChatStreamAtOnceWith202() throws Exception {
        try (Response response = call(post("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").header("Prefer", "respond-async"))) {
            assertEquals(202, response.code());
        }
        assertTrue(publisher.nextPublished(WAIT).detached());
    }

    @Test
    void shouldShowAResponseByItsIdAndHideOtherEndpointsAndUnknownIds() throws IOException {
        requests.states.put("req_aa", state("req_aa", RequestStatus.RUNNING, true, null));
        requests.states.put("req_bb", new RequestState("req_bb", RequestStatus.RUNNING, "gpt-4o",
                Endpoint.CHAT_COMPLETIONS, false, false, null, 0, 0, 0, 0, 0, 0, 0, null, null));

        try (Response response = call(new Request.Builder().url(base + "/v1/responses/resp_aa"))) {
            final JsonNode body = Json.MAPPER.readTree(response.body().string());
            assertEquals("in_progress", body.get("status").asText());
            assertEquals("resp_aa", body.get("id").asText());
        }
        for (final String id : List.of("resp_bb", "resp_cc", "req_aa")) {
            try (Response response = call(new Request.Builder().url(base + "/v1/responses/" + id))) {
                assertEquals(404, response.code(), id);
            }
        }
    }

    @Test
    void shouldCancelABackgroundResponseAndAnswerCancelled() throws Exception {
        requests.states.put("req_aa", state("req_aa", RequestStatus.RUNNING, true, null));
        final Thread worker = Thread.ofVirtual().start(() -> {
            try {
                final CancelCommand cancel = publisher.nextCancel(WAIT);
                if (cancel != null && cancel.reason() == CancelReason.CLIENT_CANCELLED) {
                    requests.states.put("req_aa", state("req_aa", RequestStatus.CANCELLED, true, null));
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        try (Response response = call(post("/v1/responses/resp_aa/cancel", ""))) {
            assertEquals(200, response.code());
            assertEquals("cancelled", Json.MAPPER.readTree(response.body().string()).get("status").asText());
        }
        worker.join(WAIT);
        assertEquals(RequestStatus.CANCELLED, requests.states.get("req_aa").status(), "the cancel was published");
    }

    @Test
    void shouldRefuseToCancelAResponseThatIsNotInTheBackground() throws IOException {
        requests.states.put("req_aa", state("req_aa", RequestStatus.RUNNING, false, null));

        try (Response response = call(post("/v1/responses/resp_aa/cancel", ""))) {
            assertEquals(400, response.code());
        }
        assertEquals(0, publisher.cancels.size());
    }

    @Test
    void shouldGiveTheHostItsOwnIdForAPreviousResponseOfOursAndLeaveOtherIdsAlone() throws Exception {
        requests.states.put("req_aa", state("req_aa", RequestStatus.COMPLETED, false,
                Json.object().put("id", "resp_host_aa").put("status", "completed")));
        publisher.onPublish = envelope -> replies.dispatch(Events.complete(envelope.id(), 0, 1,
                Json.object().put("id", "resp_next").put("status", "completed")));

        for (final String previous : List.of("resp_aa", "resp_unknown", "resp_host_aa")) {
            try (Response response = call(post("/v1/responses",
                    "{\"model\":\"gpt-4o\",\"input\":\"and then?\",\"previous_response_id\":\"" + previous + "\"}"))) {
                assertEquals(200, response.code());
            }
        }

        assertEquals("resp_host_aa", publisher.nextPublished(WAIT).body().get("previous_response_id").asText());
        assertEquals("resp_unknown", publisher.nextPublished(WAIT).body().get("previous_response_id").asText());
        assertEquals("resp_host_aa", publisher.nextPublished(WAIT).body().get("previous_response_id").asText());
    }

    @Test
    void shouldReplayTheEventsAfterStartingAfterAsTypedEvents() throws IOException {
        requests.states.put("req_aa", state("req_aa", RequestStatus.COMPLETED, true, null));
        eventLog.stored.add(chunk("req_aa", 0, hostEvent("response.created", 0)));
        eventLog.stored.add(chunk("req_aa", 1, hostEvent("response.output_text.delta", 1)));
        eventLog.stored.add(chunk("req_aa", 2, hostEvent("response.completed", 2)));
        eventLog.stored.add(Events.complete("req_aa", 3, 1, null));

        try (Response response = call(new Request.Builder()
                .url(base + "/v1/responses/resp_aa?stream=true&starting_after=0"))) {
            final List<JsonNode> events = dataOf(response.body().string());
            assertEquals(List.of(1, 2), events.stream().map(e -> e.get("sequence_number").asInt()).toList());
            assertEquals("resp_aa", events.getLast().at("/response/id").asText());
        }
    }

    private static List<JsonNode> dataOf(final String body) throws IOException {
        final List<JsonNode> data = new ArrayList<>();
        for (final String line : body.lines().toList()) {
            if (line.startsWith("data: ")) {
                data.add(Json.MAPPER.readTree(line.substring(6)));
            }
        }
        return data;
    }
}
