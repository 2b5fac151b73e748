package io.llmgw.app.e2e;

import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.llmgw.processors.ModelSpec;
import io.llmgw.simulator.LlmSimulator;
import io.llmgw.simulator.ReceivedRequest;
import org.junit.jupiter.api.AfterAll;
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
 * The worker's own clocks and retries, per model (here: first token 1 s, idle 1 s, total 3 s, 3 tries), each ending
 * the request with an explicit error the official SDK raises, never a normal end; retries only before the first
 * chunk, after the host's {@code Retry-After}; and the fallback to another model when the tries run out.
 */
class WorkerTimeoutsIT {

    private static final String MODEL = "timeouts-model";
    private static final String PRIMARY = "fallback-primary";
    private static final String BACKUP = "fallback-backup";

    private static E2eStack stack;
    private static LlmSimulator host;
    private static final List<DedicatedWorker> WORKERS = new ArrayList<>();

    @BeforeAll
    static void startWorkers() throws Exception {
        stack = E2eStack.shared();
        host = stack.stack().simulator();
        final ModelSpec base = DedicatedWorker.simulated(stack, MODEL);
        WORKERS.add(DedicatedWorker.start(stack, new ModelSpec(MODEL, base.baseUrl(), null, null, 8,
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(3), 3, Duration.ofMillis(50)),
                Map.of()));
        final ModelSpec primary = DedicatedWorker.simulated(stack, PRIMARY);
        WORKERS.add(DedicatedWorker.start(stack, new ModelSpec(PRIMARY, primary.baseUrl(), null, null, 8,
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30), 2, Duration.ofMillis(50),
                BACKUP), Map.of()));
        WORKERS.add(DedicatedWorker.start(stack, BACKUP, Map.of()));
    }

    @AfterAll
    static void stopWorkers() {
        WORKERS.forEach(DedicatedWorker::close);
    }

    private static ChatCompletionCreateParams chat(final String model, final Map<String, Object> xSim) {
        return PredecessorCalls.chat(model, "timeouts " + xSim.get("key")).toBuilder()
                .putAdditionalBodyProperty("x_sim", JsonValue.from(xSim)).build();
    }

    private static List<String> stream(final ChatCompletionCreateParams params) {
        final List<String> seen = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = stack.client().chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(seen::add)));
        }
        return seen;
    }

    private static void awaitUpstreamAborted(final String key) {
        await().atMost(Duration.ofSeconds(5)).until(() -> host.clientCancels().stream()
                .anyMatch(cancel -> cancel.key().equals(key)));
    }

    @Test
    void shouldAnswer504AndAbortTheCallWhenNoFirstTokenComesInTime() {
        final long started = System.nanoTime();
        final OpenAIServiceException e = assertThrows(OpenAIServiceException.class,
                () -> stream(chat(MODEL, Map.of("key", "first-token", "ttft_ms", 10_000))));
        final Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertEquals(504, e.statusCode());
        assertTrue(took.compareTo(Duration.ofSeconds(4)) < 0, "at the 1 s first-token timeout: " + took);
        awaitUpstreamAborted("first-token");
        assertEquals(1, host.requestsForKey("first-token"), "a timeout is not retried");
    }

    @Test
    void shouldEndAStreamThatGoesQuietMidwayWithAnErrorTheSdkRaises() {
        final List<String> seen = new ArrayList<>();
        assertThrows(OpenAIException.class, () -> {
            try (StreamResponse<ChatCompletionChunk> stream = stack.client().chat().completions().createStreaming(
                    chat(MODEL, Map.of("key", "idle", "tokens", 20, "stall_after", 3, "stall_ms", 10_000)))) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(seen::add)));
            }
        });
        assertEquals(3, seen.size(), "the chunks before the stall were delivered: " + seen);
        awaitUpstreamAborted("idle");
    }

    @Test
    void shouldAnswer504WhenTheTotalTimeoutPasses() throws Exception {
        final long started = System.nanoTime();
        final Http.Reply reply = Http.post(stack.gatewayUrl() + "/chat/completions", "{\"model\":\"" + MODEL + "\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"total\"}],\"x_sim\":{\"key\":\"total\","
                + "\"ttft_ms\":20000}}");
        final Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertEquals(504, reply.status(), reply.body());
        assertTrue(reply.json().at("/error/message").asText().contains("total timeout"), reply.body());
        assertTrue(took.compareTo(Duration.ofMillis(2_900)) > 0 && took.compareTo(Duration.ofSeconds(6)) < 0,
                "at the 3 s total timeout: " + took);
        awaitUpstreamAborted("total");
    }

    @Test
    void shouldRetryA429AfterItsRetryAfterThenAnswer() {
        final String answer = stack.client().chat().completions().create(chat(MODEL, Map.of("key", "retry-after",
                "fail_status", 429, "fail_times", 1, "retry_after", 1))).choices().getFirst().message().content()
                .orElseThrow();

        assertFalse(answer.isEmpty());
        final List<ReceivedRequest> tries = host.recentRequests().stream()
                .filter(request -> request.simKey().orElse("").equals("retry-after")).toList();
        assertEquals(2, tries.size());
        final Duration gap = Duration.between(tries.get(0).receivedAt(), tries.get(1).receivedAt());
        assertTrue(gap.compareTo(Duration.ofMillis(950)) >= 0, "waited for Retry-After: 1 s, not the 50 ms backoff: "
                + gap);
    }

    @Test
    void shouldEndAStreamWhoseHostFailsMidwayWithThatErrorAndNeverRetry() {
        final List<String> seen = new ArrayList<>();
        final OpenAIException e = assertThrows(OpenAIException.class, () -> {
            try (StreamResponse<ChatCompletionChunk> stream = stack.client().chat().completions().createStreaming(
                    chat(MODEL, Map.of("key", "mid-error", "tokens", 20, "error_after", 4)))) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(seen::add)));
            }
        });
        assertTrue(e.getMessage().contains("Simulated engine failure"), e.getMessage());
        assertEquals(4, seen.size());
        assertEquals(1, host.requestsForKey("mid-error"), "no retry once a chunk was sent");
    }

    @Test
    void shouldFallBackToTheBackupModelWhenThePrimarysTriesRunOut() {
        final var completion = stack.client().chat().completions().create(chat(PRIMARY, Map.of("key", "fallback",
                "fail_status", 503, "fail_times", 2)));

        assertFalse(completion.choices().getFirst().message().content().orElseThrow().isEmpty());
        assertEquals(3, host.requestsForKey("fallback"), "two tries on the primary, then the backup");
        final ReceivedRequest last = host.recentRequests().stream()
                .filter(request -> request.simKey().orElse("").equals("fallback")).toList().getLast();
        assertEquals(BACKUP, last.model().orElseThrow(), "the backup's host was asked for the backup model");
        assertEquals(BACKUP, completion.model());
    }
}
