package io.llmgw.app.e2e;

import com.openai.errors.OpenAIServiceException;
import io.llmgw.simulator.LlmSimulator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every request has a deadline: the smallest of {@code GATEWAY_REQUEST_TIMEOUT} (60 s here), {@code X-Request-Timeout}
 * and the SDKs' {@code X-Stainless-Timeout}. At the deadline the client gets a 504 and the work is cancelled; a
 * request that expires while it waits in the queue never reaches the LLM host.
 */
class DeadlinesIT {

    private static E2eStack stack;
    private static LlmSimulator host;

    @BeforeAll
    static void startStack() throws Exception {
        stack = E2eStack.shared();
        host = stack.stack().simulator();
        // the timings below are about deadlines, not about a JVM and a stack that have just started
        assertEquals(200, Http.post(stack.gatewayUrl() + "/chat/completions", slowChat(E2eStack.QWEN, "warm-up", 0))
                .status());
    }

    private static String slowChat(final String model, final String key, final long ttftMs) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"slow " + key + "\"}],"
                + "\"x_sim\":{\"key\":\"" + key + "\",\"ttft_ms\":" + ttftMs + "}}";
    }

    @Test
    void shouldAnswer504AtTheClientsRequestTimeoutAndAbortTheUpstreamCall() throws Exception {
        final long started = System.nanoTime();
        final Http.Reply reply = Http.post(stack.gatewayUrl() + "/chat/completions",
                slowChat(E2eStack.QWEN, "deadline-header", 5_000), "X-Request-Timeout", "1");
        final Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertEquals(504, reply.status(), reply.body());
        assertEquals("timeout", reply.json().at("/error/code").asText());
        assertTrue(took.compareTo(Duration.ofMillis(900)) > 0 && took.compareTo(Duration.ofMillis(2_500)) < 0,
                "answered at the 1 s deadline: " + took);
        // the gateway's cancel reached the worker, which dropped the host's connection
        await().atMost(Duration.ofSeconds(3)).until(() -> host.clientCancels().stream()
                .anyMatch(cancel -> cancel.key().equals("deadline-header")));
    }

    @Test
    void shouldHonourTheSdksStainlessTimeoutHeader() {
        final long started = System.nanoTime();
        final OpenAIServiceException e = assertThrows(OpenAIServiceException.class, () -> stack.client().chat()
                .completions().create(PredecessorCalls.chat(E2eStack.QWEN, "stainless").toBuilder()
                        .putAdditionalHeader("X-Stainless-Timeout", "1.5")
                        .putAdditionalBodyProperty("x_sim", com.openai.core.JsonValue.from(
                                Map.of("key", "deadline-stainless", "ttft_ms", 5_000)))
                        .build()));
        final Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertEquals(504, e.statusCode());
        assertTrue(took.compareTo(Duration.ofMillis(1_400)) > 0 && took.compareTo(Duration.ofSeconds(3)) < 0,
                "the SDK's own timeout set the deadline: " + took);
    }

    @Test
    void shouldRefuseAMalformedRequestTimeoutWith400() throws Exception {
        final Http.Reply reply = Http.post(stack.gatewayUrl() + "/chat/completions",
                slowChat(E2eStack.QWEN, "deadline-bad", 0), "X-Request-Timeout", "tomorrow");
        assertEquals(400, reply.status(), reply.body());
        assertEquals(0, host.requestsForKey("deadline-bad"));
    }

    /**
     * The test: with {@code WORKER_CONCURRENCY=1}, a request queued behind a long one past its 1 s deadline
     * gets its 504 within about a second and never reaches the host.
     */
    @Test
    void shouldNeverCallTheHostForARequestThatExpiresInTheQueue() throws Exception {
        final String model = "deadline-queue-model";
        try (DedicatedWorker ignored = DedicatedWorker.start(stack, model, Map.of("WORKER_CONCURRENCY", "1"))) {
            final CompletableFuture<Http.Reply> longOne = CompletableFuture.supplyAsync(() -> {
                try {
                    return Http.post(stack.gatewayUrl() + "/chat/completions", slowChat(model, "queue-long", 3_000));
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> host.requestsForKey("queue-long") == 1);

            final long started = System.nanoTime();
            final Http.Reply queued = Http.post(stack.gatewayUrl() + "/chat/completions",
                    slowChat(model, "queue-short", 0), "X-Request-Timeout", "1");
            final Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertEquals(504, queued.status(), queued.body());
            assertTrue(took.compareTo(Duration.ofMillis(1_800)) < 0, "504 within about 1 s: " + took);
            // the worker itself ended it as expired while the long one still held the only slot
            Results.awaitStatus(stack.gatewayUrl(), queued.header("X-Request-Id"), "expired");
            assertEquals(200, longOne.get(30, TimeUnit.SECONDS).status());
            assertEquals(0, host.requestsForKey("queue-short"), "the expired request never reached the host");
            assertEquals(1, host.requestsForKey("queue-long"));
        }
    }
}
