package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;
import okhttp3.Call;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.llmgw.simulator.SimulatorHttp.WAIT;
import static io.llmgw.simulator.SimulatorHttp.chat;
import static io.llmgw.simulator.SimulatorHttp.completion;
import static io.llmgw.simulator.SimulatorHttp.parse;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LlmSimulatorTest {

    private static LlmSimulator simulator;
    private static SimulatorHttp http;

    @BeforeAll
    static void start() {
        simulator = LlmSimulator.start(SimulatorConfig.defaults().withoutDelays());
        http = new SimulatorHttp(simulator);
    }

    @AfterAll
    static void stop() {
        simulator.close();
    }

    @Test
    void shouldAnswerChatCompletionObjectWhenNotStreaming() throws IOException {
        final ObjectNode body = chat("how are you").put("n", 2);
        final SimulatorHttp.Reply reply = http.call(http.post("/chat/completions", body));

        assertEquals(200, reply.status());
        assertTrue(reply.contentType().startsWith("application/json"));
        final JsonNode json = reply.json();
        assertTrue(json.path("id").asText().startsWith("chatcmpl-"));
        assertEquals("chat.completion", json.path("object").asText());
        assertEquals("gpt-4o-mini", json.path("model").asText());
        assertTrue(json.path("created").asLong() > 0);
        assertEquals(2, json.path("choices").size());
        for (int index = 0; index < 2; index++) {
            final JsonNode choice = json.path("choices").path(index);
            assertEquals(index, choice.path("index").asInt());
            assertEquals("assistant", choice.path("message").path("role").asText());
            assertEquals("You said: how are you", choice.path("message").path("content").asText());
            assertEquals("stop", choice.path("finish_reason").asText());
        }
        assertEquals(Json.object().put("prompt_tokens", 3).put("completion_tokens", 10).put("total_tokens", 13),
                json.path("usage"));
    }

    @Test
    void shouldAnswerTextCompletionObjectWhenNotStreaming() throws IOException {
        final SimulatorHttp.Reply reply = http.call(http.post("/completions", completion("once upon a time")));

        assertEquals(200, reply.status());
        final JsonNode json = reply.json();
        assertTrue(json.path("id").asText().startsWith("cmpl-"));
        assertEquals("text_completion", json.path("object").asText());
        assertEquals("You said: once upon a time", json.path("choices").path(0).path("text").asText());
        assertEquals("stop", json.path("choices").path(0).path("finish_reason").asText());
        assertEquals(6, json.path("usage").path("completion_tokens").asInt());
    }

    @Test
    void shouldStreamRoleFirstThenOneChunkPerTokenThenFinishAndDoneWhenStreaming() throws InterruptedException {
        final ObjectNode body = chat("stream this please").put("stream", true);
        final List<String> expected = SimulatedReply.generate(body, simulator.config()).tokens();

        final List<SimulatorHttp.StreamEvent.Data> events = http.stream(body).dataUntilClosed();

        assertEquals(expected.size() + 2, events.size(), "tokens, finish chunk, [DONE]");
        final String id = parse(events.getFirst().data()).path("id").asText();
        for (int i = 0; i < expected.size(); i++) {
            final JsonNode chunk = parse(events.get(i).data());
            assertEquals("chat.completion.chunk", chunk.path("object").asText());
            assertEquals(id, chunk.path("id").asText(), "one id per stream");
            final JsonNode delta = chunk.path("choices").path(0).path("delta");
            assertEquals(i == 0, delta.has("role"), "only the first chunk carries the role");
            assertEquals(expected.get(i), delta.path("content").asText());
            assertTrue(chunk.path("choices").path(0).path("finish_reason").isNull());
        }
        final JsonNode finish = parse(events.get(expected.size()).data()).path("choices").path(0);
        assertEquals("stop", finish.path("finish_reason").asText());
        assertTrue(finish.path("delta").isEmpty());
    }

    @Test
    void shouldSendUsageChunkBeforeDoneWhenIncludeUsageIsSet() throws InterruptedException {
        final ObjectNode body = chat("count me").put("stream", true);
        body.putObject("stream_options").put("include_usage", true);

        final List<SimulatorHttp.StreamEvent.Data> events = http.stream(body).dataUntilClosed();

        final JsonNode usageChunk = parse(events.get(events.size() - 2).data());
        assertTrue(usageChunk.path("choices").isArray() && usageChunk.path("choices").isEmpty());
        assertEquals(Json.object().put("prompt_tokens", 2).put("completion_tokens", 4).put("total_tokens", 6),
                usageChunk.path("usage"));
        assertFalse(parse(events.get(events.size() - 3).data()).has("usage"), "only the last chunk has usage");
    }

    @Test
    void shouldStreamEveryChoiceWhenNIsAboveOne() throws InterruptedException {
        final ObjectNode body = completion("two ways").put("stream", true).put("n", 2);

        final List<SimulatorHttp.StreamEvent.Data> events = http.stream("/completions", body).dataUntilClosed();

        final StringBuilder[] texts = {new StringBuilder(), new StringBuilder()};
        events.subList(0, events.size() - 1).forEach(event -> {
            final JsonNode choice = parse(event.data()).path("choices").path(0);
            texts[choice.path("index").asInt()].append(choice.path("text").asText());
        });
        assertEquals("You said: two ways", texts[0].toString());
        assertEquals("You said: two ways", texts[1].toString());
    }

    @Test
    void shouldFinishWithLengthWhenMaxTokensCapsTheReply() throws IOException, InterruptedException {
        final ObjectNode body = chat("one two three four five").put("max_tokens", 3);
        final JsonNode whole = http.call(http.post("/chat/completions", body)).json();
        assertEquals("You said: one", whole.path("choices").path(0).path("message").path("content").asText());
        assertEquals("length", whole.path("choices").path(0).path("finish_reason").asText());
        assertEquals(3, whole.path("usage").path("completion_tokens").asInt());

        final List<SimulatorHttp.StreamEvent.Data> events = http.stream(body.put("stream", true)).dataUntilClosed();
        assertEquals(3 + 2, events.size());
        assertEquals("length", parse(events.get(3).data()).path("choices").path(0).path("finish_reason").asText());
    }

    @Test
    void shouldKeepCyrillicByteExactWhenStreamed() throws IOException {
        final String message = "Съешь же ещё этих мягких французских булок, да выпей чаю — ёлка!";
        final ObjectNode body = chat(message).put("stream", true).put("max_tokens", 100);
        final byte[] expected = SimulatedReply.generate(body, simulator.config()).text()
                .getBytes(StandardCharsets.UTF_8);

        final StringBuilder received = new StringBuilder();
        try (Response response = http.newCall(http.post("/chat/completions", body)).execute()) {
            final String raw = new String(response.body().bytes(), StandardCharsets.UTF_8);
            assertTrue(raw.contains("ёлка"), "non-ASCII is sent as UTF-8, not escaped");
            for (final String line : raw.split("\n")) {
                if (line.startsWith("data: {")) {
                    received.append(parse(line.substring(6)).path("choices").path(0).path("delta")
                            .path("content").asText());
                }
            }
        }
        assertArrayEquals(expected, received.toString().getBytes(StandardCharsets.UTF_8));
        assertEquals("You said: " + message, received.toString());
    }

    @Test
    void shouldRecordBodyAndBearerTokenUnchangedWhenRequestArrives() throws IOException {
        final String body = """
                {"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"temperature":0.70,\
                "seed":123456789012345678901234567890,"tools":[{"type":"function"}],"x_sim":{"key":"record-me"}}""";
        final Request request = http.post("/chat/completions", body).newBuilder()
                .header("Authorization", "Bearer sk-client-key").build();

        assertEquals(200, http.call(request).status());

        final ReceivedRequest received = simulator.recentRequests().stream()
                .filter(r -> r.simKey().equals(java.util.Optional.of("record-me"))).findFirst().orElseThrow();
        assertEquals(body, received.rawBody());
        assertEquals(parse(body), received.body());
        assertEquals("0.70", received.body().path("temperature").toString());
        assertEquals("sk-client-key", received.bearerToken().orElseThrow());
        assertEquals("/v1/chat/completions", received.path());
        assertEquals(1, simulator.requestsForKey("record-me"));
        assertTrue(simulator.requestsForModel("gpt-4o-mini") >= 1);
    }

    @Test
    void shouldRejectBrokenJsonWithOpenAiErrorWhenBodyIsNotJson() throws IOException {
        final SimulatorHttp.Reply reply = http.call(http.post("/chat/completions", "{\"model\":"));
        assertEquals(400, reply.status());
        assertEquals("invalid_request_error", reply.json().path("error").path("type").asText());
        assertFalse(reply.json().path("error").path("message").asText().isBlank());
    }

    @Test
    void shouldRejectMissingMessagesWithParamWhenChatHasNone() throws IOException {
        final SimulatorHttp.Reply reply = http.call(http.post("/chat/completions", Json.object().put("model", "m")));
        assertEquals(400, reply.status());
        assertEquals("messages", reply.json().path("error").path("param").asText());
    }

    @Test
    void shouldRejectZeroChoicesWithParamWhenNIsZero() throws IOException {
        final SimulatorHttp.Reply reply = http.call(http.post("/completions", completion("x").put("n", 0)));
        assertEquals(400, reply.status());
        assertEquals("n", reply.json().path("error").path("param").asText());
    }

    @Test
    void shouldAnswerJsonNotFoundWhenRouteIsUnknown() throws IOException {
        final SimulatorHttp.Reply reply = http.get("/embeddings-nowhere");
        assertEquals(404, reply.status());
        assertEquals("not_found", reply.json().path("error").path("code").asText());
    }

    @Test
    void shouldListConfiguredModelsWhenAskedForModels() throws IOException {
        final JsonNode models = http.get("/models").json();
        assertEquals("list", models.path("object").asText());
        assertEquals(simulator.config().models(),
                List.of(models.path("data").path(0).path("id").asText(), models.path("data").path(1).path("id")
                        .asText()));
        assertEquals(2, models.path("data").size());
    }

    @Test
    void shouldServeCountsWhenStatsAreAsked() throws IOException {
        final ObjectNode body = chat("stats");
        body.putObject("x_sim").put("key", "stats-key");
        http.call(http.post("/chat/completions", body));

        final SimulatorHttp.Reply reply = http.call(new Request.Builder()
                .url(simulator.baseUrl().replace("/v1", "/sim/stats")).build());

        assertEquals(200, reply.status());
        assertEquals(1, reply.json().path("requests_by_key").path("stats-key").asInt());
        assertTrue(reply.json().path("total_requests").asLong() >= 1);
        assertTrue(reply.json().path("client_cancels").isArray());
    }

    @Test
    void shouldCountClientCancelWhenClientDisconnectsMidStream() throws InterruptedException {
        final ObjectNode body = chat("go on").put("stream", true);
        body.putObject("x_sim").put("key", "cancel-stream").put("tokens", 1000).put("tokens_per_second", 50);
        final SimulatorHttp.StreamRecorder stream = http.stream(body);
        stream.nextData();
        await().atMost(WAIT).until(() -> simulator.openStreams() >= 1);
        final Instant cancelledAt = Instant.now();

        stream.cancel();

        await().atMost(WAIT).until(() -> cancelsOf("cancel-stream").size() == 1);
        final ClientCancel cancel = cancelsOf("cancel-stream").getFirst();
        assertTrue(cancel.eventsSent() >= 1);
        assertTrue(Duration.between(cancelledAt, cancel.at()).toMillis() < 1_000, "noticed promptly");
        await().atMost(WAIT).until(() -> simulator.openStreams() == 0);
    }

    @Test
    void shouldCountClientCancelWhenClientGivesUpBeforeTheAnswer() throws Exception {
        final ObjectNode body = chat("slow");
        body.putObject("x_sim").put("key", "cancel-whole").put("ttft_ms", 60_000);
        final Call call = http.newCall(http.post("/chat/completions", body));
        final CompletableFuture<IOException> failure = new CompletableFuture<>();
        call.enqueue(new okhttp3.Callback() {
            @Override
            public void onFailure(final Call c, final IOException e) {
                failure.complete(e);
            }

            @Override
            public void onResponse(final Call c, final Response response) {
                response.close();
                failure.complete(null);
            }
        });
        await().atMost(WAIT).until(() -> simulator.requestsForKey("cancel-whole") == 1);

        call.cancel();

        await().atMost(WAIT).until(() -> cancelsOf("cancel-whole").size() == 1);
        assertEquals(0, cancelsOf("cancel-whole").getFirst().eventsSent());
        assertTrue(failure.get(WAIT.toMillis(), TimeUnit.MILLISECONDS) != null, "the call ended without an answer");
    }

    private static List<ClientCancel> cancelsOf(final String key) {
        return simulator.clientCancels().stream().filter(c -> c.key().equals(key)).toList();
    }
}
