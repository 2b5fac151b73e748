package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.llmgw.simulator.SimulatorHttp.chat;
import static io.llmgw.simulator.SimulatorHttp.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each {@code x_sim} knob, seen from a client. */
class FaultInjectionTest {

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

    private static ObjectNode streamWith(final String key, final ObjectNode body) {
        body.put("stream", true);
        return body.putObject("x_sim").put("key", key);
    }

    @Test
    void shouldFailFirstCallsOfKeyThenAnswerWhenFailTimesIsSet() throws IOException {
        final ObjectNode body = chat("retry me");
        body.putObject("x_sim").put("key", "fail-twice").put("fail_status", 503).put("fail_times", 2)
                .put("retry_after", 7);

        final SimulatorHttp.Reply first = http.call(http.post("/chat/completions", body));
        final SimulatorHttp.Reply second = http.call(http.post("/chat/completions", body));
        final SimulatorHttp.Reply third = http.call(http.post("/chat/completions", body));

        assertEquals(503, first.status());
        assertEquals("7", first.retryAfter());
        assertEquals("server_error", first.json().path("error").path("type").asText());
        assertEquals(503, second.status());
        assertEquals(200, third.status());
        assertEquals("You said: retry me",
                third.json().path("choices").path(0).path("message").path("content").asText());
        assertEquals(3, simulator.requestsForKey("fail-twice"));
    }

    @Test
    void shouldKeepInjectedBodyAndConnectionUsableWhenFailStatusIs404() throws IOException {
        final ObjectNode body = chat("gone");
        body.putObject("x_sim").put("fail_status", 404);

        for (int call = 0; call < 2; call++) {
            final SimulatorHttp.Reply reply = http.call(http.post("/chat/completions", body));
            assertEquals(404, reply.status());
            assertEquals("simulated_failure", reply.json().path("error").path("code").asText());
        }
        assertEquals(200, http.call(http.post("/chat/completions", chat("still there"))).status());
    }

    @Test
    void shouldFailStreamBeforeAnyEventWhenFailStatusIsSet() throws InterruptedException {
        final ObjectNode body = chat("limited");
        streamWith("rate-limited", body).put("fail_status", 429);

        final SimulatorHttp.StreamEvent end = http.stream(body).next();

        final SimulatorHttp.StreamEvent.Failure failure = assertInstanceOf(SimulatorHttp.StreamEvent.Failure.class, end);
        assertEquals(429, failure.status());
    }

    @Test
    void shouldGenerateExactlyThatManyTokensWhenTokensIsSet() throws InterruptedException {
        final ObjectNode body = chat("few");
        streamWith("exact-tokens", body).put("tokens", 9);

        final List<SimulatorHttp.StreamEvent.Data> events = http.stream(body).dataUntilClosed();

        assertEquals(9 + 2, events.size());
        assertEquals(SimulatedReply.generate(body, simulator.config()).tokens().getLast(),
                parse(events.get(8).data()).path("choices").path(0).path("delta").path("content").asText());
    }

    @Test
    void shouldCloseAbruptlyWithoutDoneWhenCutAfterIsSet() throws InterruptedException {
        final ObjectNode body = chat("a b c d e f g");
        streamWith("cut-stream", body).put("cut_after", 3);
        final SimulatorHttp.StreamRecorder stream = http.stream(body);

        for (int i = 0; i < 3; i++) {
            assertTrue(stream.nextData().data().startsWith("{"));
        }
        assertInstanceOf(SimulatorHttp.StreamEvent.Failure.class, stream.next(), "the stream breaks, no [DONE]");
        assertTrue(simulator.clientCancels().stream().noneMatch(c -> c.key().equals("cut-stream")),
                "our own cut is not a client cancel");
    }

    @Test
    void shouldCloseBeforeAnyByteWhenCutAfterIsSetWithoutStreaming() {
        final ObjectNode body = chat("whole");
        body.putObject("x_sim").put("cut_after", 0);

        assertThrows(IOException.class, () -> http.call(http.post("/chat/completions", body)));
    }

    @Test
    void shouldPauseThenCarryOnWhenStallIsSet() throws InterruptedException {
        final ObjectNode body = chat("a b c d");
        streamWith("stall", body).put("stall_after", 2).put("stall_ms", 300);
        final long start = System.nanoTime();

        final List<SimulatorHttp.StreamEvent.Data> events = http.stream(body).dataUntilClosed();

        // arrival times only bound what the server did from below: nothing after the stall can come earlier
        final long thirdMillis = TimeUnit.NANOSECONDS.toMillis(events.get(2).atNanos() - start);
        assertTrue(thirdMillis >= 300, "third event after " + thirdMillis + " ms");
        assertEquals(SimulatedReply.generate(body, simulator.config()).completionTokens() + 2, events.size());
    }

    @Test
    void shouldDelayFirstTokenWhenTtftIsSet() throws InterruptedException {
        final ObjectNode body = chat("later");
        streamWith("ttft", body).put("ttft_ms", 300).put("tokens_per_second", 100);
        final long start = System.nanoTime();

        final List<SimulatorHttp.StreamEvent.Data> events = http.stream(body).dataUntilClosed();

        assertTrue(TimeUnit.NANOSECONDS.toMillis(events.getFirst().atNanos() - start) >= 300);
        // 3 tokens at 100/s: the last comes two 10 ms gaps after the first
        assertTrue(TimeUnit.NANOSECONDS.toMillis(events.get(2).atNanos() - start) >= 320);
    }

    @Test
    void shouldWaitWholeGenerationTimeWhenNotStreaming() throws IOException {
        final ObjectNode body = chat("a b c d e f");
        body.putObject("x_sim").put("ttft_ms", 100).put("tokens_per_second", 40);
        final long start = System.nanoTime();

        assertEquals(200, http.call(http.post("/chat/completions", body)).status());

        // 8 tokens: first at 100 ms, then seven gaps of 25 ms
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() >= 275);
    }

    @Test
    void shouldSendErrorEventThenDoneWhenErrorAfterIsSet() throws InterruptedException {
        final ObjectNode body = chat("a b c");
        streamWith("mid-error", body).put("error_after", 2);

        final List<SimulatorHttp.StreamEvent.Data> events = http.stream(body).dataUntilClosed();

        assertEquals(4, events.size(), "two chunks, the error, [DONE]");
        final JsonNode error = parse(events.get(2).data()).path("error");
        assertEquals("server_error", error.path("type").asText());
        assertTrue(error.path("message").asText().contains("2 events"));
    }

    @Test
    void shouldAnswerStreamAsJsonCompletionWhenContentTypeIsJson() throws IOException {
        final ObjectNode body = chat("not streamed");
        streamWith("json-instead", body).put("content_type", "application/json");

        try (Response response = http.newCall(http.post("/chat/completions", body)).execute()) {
            assertTrue(response.header("Content-Type").startsWith("application/json"));
            final JsonNode json = parse(response.body().string());
            assertEquals("chat.completion", json.path("object").asText());
        }
    }

    @Test
    void shouldAnswerStreamAsPlainTextWhenContentTypeIsNotJson() throws IOException {
        final ObjectNode body = chat("html please");
        streamWith("html-instead", body).put("content_type", "text/html");

        final SimulatorHttp.Reply reply = http.call(http.post("/chat/completions", body));

        assertEquals(200, reply.status());
        assertTrue(reply.contentType().startsWith("text/html"));
        assertTrue(new String(reply.bytes()).contains("non-SSE"));
    }

    @Test
    void shouldRejectMalformedKnobWithParamWhenXSimIsInvalid() throws IOException {
        final ObjectNode body = chat("bad knob");
        body.putObject("x_sim").put("cut_after", "three");

        final SimulatorHttp.Reply reply = http.call(http.post("/chat/completions", body));

        assertEquals(400, reply.status());
        assertEquals("x_sim.cut_after", reply.json().path("error").path("param").asText());
    }
}
