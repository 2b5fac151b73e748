package io.llmgw.processors;

import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.RequestEnvelope;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.llmgw.processors.TestRequests.body;
import static io.llmgw.processors.TestRequests.chat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OkHttpUpstreamClientTest {

    private static final String CHUNK_A = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}";
    private static final String CHUNK_B = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}";

    @StartStop
    private final MockWebServer server = new MockWebServer();

    private final OkHttpUpstreamClient client = OkHttpUpstreamClient.create(8, Duration.ofSeconds(30));
    private final RecordingListener listener = new RecordingListener();

    @AfterEach
    void closeClient() {
        client.close();
    }

    private ModelSpec model() {
        return TestRequests.model(server.url("/v1").toString());
    }

    private static MockResponse.Builder sse(final String body) {
        return new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream").body(body);
    }

    @Test
    void shouldDeliverChunksInOrderAndCompleteWhenStreamEndsWithDone() throws Exception {
        server.enqueue(sse(": ping\r\n\r\n"
                + "data: " + CHUNK_A + "\r\n\r\n"
                + ": ping\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"multi\"},\n"
                + "data: \"finish_reason\":null}]}\n\n"
                + "data: " + CHUNK_B + "\r\n\r\n"
                + "data: [DONE]\r\n\r\n").build());

        client.start(chat("req_1", true), model(), listener);

        assertEquals(body(CHUNK_A), listener.takeChunk());
        assertEquals("multi", listener.takeChunk().at("/choices/0/delta/content").asText());
        assertEquals(body(CHUNK_B), listener.takeChunk());
        assertNull(listener.takeComplete());
        listener.assertExhausted();

        final RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertNotNull(request);
        assertEquals("POST", request.getMethod());
        assertEquals("/v1/chat/completions", request.getUrl().encodedPath());
        assertEquals("text/event-stream", request.getHeaders().get("Accept"));
        assertEquals("req_1", request.getHeaders().get("X-Request-Id"));
    }

    @Test
    void shouldCompleteWhenStreamClosesWithoutDoneAfterAFinishReason() {
        server.enqueue(sse("data: " + CHUNK_A + "\n\ndata: " + CHUNK_B + "\n\n").build());

        client.start(chat("req_1", true), model(), listener);

        listener.takeChunk();
        listener.takeChunk();
        assertNull(listener.takeComplete());
        listener.assertExhausted();
    }

    @Test
    void shouldFailWithEndedEarlyWhenStreamClosesWithoutDoneOrFinishReason() {
        server.enqueue(sse("data: " + CHUNK_A + "\n\n").build());

        client.start(chat("req_1", true), model(), listener);

        listener.takeChunk();
        final UpstreamFailure failure = listener.takeFailure();
        assertEquals(502, failure.error().status());
        assertEquals("upstream stream ended early", failure.error().message());
        assertFalse(failure.retryable());
        listener.assertExhausted();
    }

    @Test
    void shouldFailWithoutRetryWhenConnectionIsCutMidStream() {
        // The socket closes after half of the body: the first short event is through, the long second one is not.
        final String second = "{\"choices\":[{\"delta\":{\"content\":\"" + "x".repeat(400) + "\"},\"finish_reason\":null}]}";
        server.enqueue(sse("data: " + CHUNK_A + "\n\ndata: " + second + "\n\ndata: [DONE]\n\n")
                .onResponseBody(SocketEffect.ShutdownConnection.INSTANCE)
                .build());

        client.start(chat("req_1", true), model(), listener);

        assertEquals(body(CHUNK_A), listener.takeChunk());
        final UpstreamFailure failure = listener.takeFailure();
        assertEquals(502, failure.error().status());
        assertTrue(failure.error().message().startsWith("upstream stream was cut"), failure.error().message());
        assertFalse(failure.retryable(), "chunks were delivered: a retry would duplicate them");
        listener.assertExhausted();
    }

    @Test
    void shouldReportTheHostsErrorWhenStreamIsAnsweredWith4xx() {
        server.enqueue(new MockResponse.Builder().code(400).addHeader("Content-Type", "application/json")
                .body("{\"error\":{\"message\":\"max_tokens is too large\",\"type\":\"invalid_request_error\","
                        + "\"param\":\"max_tokens\",\"code\":null}}")
                .build());

        client.start(chat("req_1", true), model(), listener);

        final UpstreamFailure failure = listener.takeFailure();
        assertEquals(400, failure.error().status());
        assertEquals("max_tokens is too large", failure.error().message());
        assertEquals("invalid_request_error", failure.error().type());
        assertEquals("max_tokens", failure.error().param());
        assertFalse(failure.retryable());
        listener.assertExhausted();
    }

    @Test
    void shouldBeRetryableWithRetryAfterWhenHostAnswers503() {
        server.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", "2")
                .body("<html>overloaded</html>").build());

        client.start(chat("req_1", false), model(), listener);

        final UpstreamFailure failure = listener.takeFailure();
        assertEquals(503, failure.error().status());
        assertEquals("the LLM host answered HTTP 503", failure.error().message());
        assertTrue(failure.retryable());
        assertEquals(Duration.ofSeconds(2), failure.retryAfter());
        listener.assertExhausted();
    }

    @Test
    void shouldFailWithoutRetryWhenStreamIsAnsweredWithAnotherContentType() {
        server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                .body("{\"id\":\"x\"}").build());

        client.start(chat("req_1", true), model(), listener);

        final UpstreamFailure failure = listener.takeFailure();
        assertEquals(502, failure.error().status());
        assertTrue(failure.error().message().contains("application/json"), failure.error().message());
        assertFalse(failure.retryable());
        listener.assertExhausted();
    }

    @Test
    void shouldFailWhenAStreamChunkIsNotJson() {
        server.enqueue(sse("data: " + CHUNK_A + "\n\ndata: <oops>\n\ndata: [DONE]\n\n").build());

        client.start(chat("req_1", true), model(), listener);

        listener.takeChunk();
        final UpstreamFailure failure = listener.takeFailure();
        assertEquals(502, failure.error().status());
        assertTrue(failure.error().message().contains("<oops>"), failure.error().message());
        listener.assertExhausted();
    }

    @Test
    void shouldCompleteWithTheCompletionObjectWhenNotStreaming() throws Exception {
        final String completion = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"Привет\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
        server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                .body(completion).build());

        client.start(chat("req_1", false), model(), listener);

        assertEquals(body(completion), listener.takeComplete());
        listener.assertExhausted();
        assertEquals("application/json", server.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Accept"));
    }

    @Test
    void shouldFailWhenANonStreamingAnswerIsNotJson() {
        server.enqueue(new MockResponse.Builder().code(200).body("not json").build());

        client.start(chat("req_1", false), model(), listener);

        final UpstreamFailure failure = listener.takeFailure();
        assertEquals(502, failure.error().status());
        assertFalse(failure.retryable());
        listener.assertExhausted();
    }

    @Test
    void shouldSendTheModelsTokenAndNeverTheClientsKey() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).body("{}").build());

        client.start(chat("req_1", false), model(), listener);

        listener.takeComplete();
        final RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertEquals("Bearer model-token", request.getHeaders().get("Authorization"));
    }

    @Test
    void shouldSendNoAuthorizationWhenTheModelHasNoToken() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).body("{}").build());
        final ModelSpec open = new ModelSpec("m", server.url("/v1/").toString(), null, null, 1,
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 1, Duration.ZERO);

        client.start(chat("req_1", false), open, listener);

        listener.takeComplete();
        final RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertNull(request.getHeaders().get("Authorization"));
        assertEquals("/v1/chat/completions", request.getUrl().encodedPath());
    }

    @Test
    void shouldReplaceOnlyTheModelWhenTheSpecNamesAnUpstreamModel() throws Exception {
        server.enqueue(new MockResponse.Builder().code(200).body("{}").build());
        final String clientBody = "{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Привет\"}],"
                + "\"temperature\":0.70,\"top_p\":1.0,\"seed\":123456789012345678901234567890,"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}],"
                + "\"logit_bias\":null,\"x_vendor\":{\"nested\":[1,2.50,\"3\"]}}";
        final RequestEnvelope request = new RequestEnvelope("req_1", Endpoint.CHAT_COMPLETIONS, "test-model", false,
                body(clientBody), 0, Long.MAX_VALUE, 0, "gw", null, 1, false);
        final ModelSpec renamed = new ModelSpec("test-model", server.url("/v1").toString(), "t",
                "Qwen/Qwen2.5-72B-Instruct-AWQ", 1, Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1), 1, Duration.ZERO);

        client.start(request, renamed, listener);

        listener.takeComplete();
        final String sent = server.takeRequest(5, TimeUnit.SECONDS).getBody().string(StandardCharsets.UTF_8);
        assertEquals(clientBody.replace("\"model\":\"test-model\"", "\"model\":\"Qwen/Qwen2.5-72B-Instruct-AWQ\""), sent);
        assertEquals("test-model", request.body().get("model").asText(), "the envelope itself is left alone");
    }

    @Test
    void shouldAskForItsOwnModelWhenARequestWasHandedOverByAnotherModel() throws Exception {
        final RequestEnvelope handedOver = new RequestEnvelope("req_1", Endpoint.CHAT_COMPLETIONS, "primary", false,
                body("{\"model\":\"primary\",\"messages\":[]}"), 0, Long.MAX_VALUE, 0, "gw", null, 2, false);
        final ModelSpec backup = new ModelSpec("backup", "http://unused/v1", null, null, 1, Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1), 1, Duration.ZERO);

        assertEquals("{\"model\":\"backup\",\"messages\":[]}",
                new String(OkHttpUpstreamClient.upstreamBody(handedOver, backup), StandardCharsets.UTF_8));
        assertEquals("primary", handedOver.body().get("model").asText());
    }

    @Test
    void shouldStopCallbacksAndAbortTheCallWhenCancelled() {
        // Without a cancel this stream would trickle for about a minute.
        final StringBuilder slow = new StringBuilder("data: " + CHUNK_A + "\n\n");
        for (int i = 0; i < 60; i++) {
            slow.append("data: ").append(CHUNK_A).append("\n\n");
        }
        server.enqueue(sse(slow.toString()).throttleBody(CHUNK_A.length() + 8, 1, TimeUnit.SECONDS).build());
        final UpstreamCall call = client.start(chat("req_1", true), model(), listener);

        listener.takeChunk();
        call.cancel();

        await().atMost(Duration.ofSeconds(5)).until(() -> client.runningCalls() == 0);
        listener.assertExhausted();
    }

    @Test
    void shouldBeRetryableWhenTheHostCannotBeReached() throws IOException {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        final ModelSpec unreachable = TestRequests.model("http://127.0.0.1:" + closedPort + "/v1");

        client.start(chat("req_1", true), unreachable, listener);

        final UpstreamFailure failure = listener.takeFailure();
        assertEquals(502, failure.error().status());
        assertTrue(failure.retryable());
        assertTrue(failure.error().message().contains("cannot reach the LLM host"), failure.error().message());
        listener.assertExhausted();
    }

    @Test
    void shouldGiveUpOnANonStreamingCallThatOutlivesTheCallTimeout() {
        // the scheduler's own timers are the real limit; this is the net under them for a call that hangs
        server.enqueue(new MockResponse.Builder().code(200).body("{}").headersDelay(20, TimeUnit.SECONDS).build());
        final OkHttpUpstreamClient netted = OkHttpUpstreamClient.create(8, Duration.ofMillis(500));
        try {
            final long start = System.nanoTime();
            netted.start(chat("req_1", false), model(), listener);

            final UpstreamFailure failure = listener.takeFailure();
            assertTrue(failure.error().message().contains("cannot reach the LLM host"), failure.error().message());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "cut by the call timeout, not later");
        } finally {
            netted.close();
        }
    }

    @Test
    void shouldKeepAStreamWhoseEventsArriveLaterThanTheCallTimeout() {
        // the events come 1.2 s after the headers: a read timeout, or a call timeout still running, would cut it
        final String body = "data: " + CHUNK_A + "\n\ndata: " + CHUNK_B + "\n\ndata: [DONE]\n\n";
        server.enqueue(sse(body).bodyDelay(1200, TimeUnit.MILLISECONDS).build());
        final OkHttpUpstreamClient netted = OkHttpUpstreamClient.create(8, Duration.ofMillis(500));
        try {
            netted.start(chat("req_1", true), model(), listener);

            assertEquals(body(CHUNK_A), listener.takeChunk());
            assertEquals(body(CHUNK_B), listener.takeChunk());
            assertNull(listener.takeComplete());
            listener.assertExhausted();
        } finally {
            netted.close();
        }
    }
}
