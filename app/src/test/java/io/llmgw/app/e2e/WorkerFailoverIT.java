package io.llmgw.app.e2e;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import io.llmgw.processors.ModelCatalog;
import io.llmgw.processors.ModelSpec;
import io.llmgw.processors.WorkerService;
import io.llmgw.simulator.LlmSimulator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guarantee 2: a worker instance that goes away while it holds a request does not lose it. The replacement restores
 * the in-flight store from its changelog and re-runs the request; the client gets its answer, once.
 */
class WorkerFailoverIT {

    private static final String MODEL = "failover-model";
    private static E2eStack stack;
    private static LlmSimulator host;

    @BeforeAll
    static void startStack() {
        stack = E2eStack.shared();
        host = stack.stack().simulator();
    }

    @Test
    void shouldCompleteANonStreamingRequestWhenItsWorkerIsReplacedMidCall() throws Exception {
        final ModelSpec model = ModelCatalog.forHost(stack.settings(), List.of(MODEL), host.baseUrl(), null).getFirst();
        final WorkerService first = WorkerService.start(stack.settings(), model);
        assertTrue(first.awaitRunning(Duration.ofSeconds(60)), "first worker running");
        final OpenAIClient client = stack.client();
        await().atMost(Duration.ofSeconds(30)).until(() -> client.models().list().data().stream()
                .anyMatch(m -> m.id().equals(MODEL)));

        final String expected = String.join("", new PredecessorCalls(client, host.baseUrl())
                .directChatDeltas(MODEL, "переживи смену воркера"));
        final CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> client.chat().completions()
                .create(PredecessorCalls.chat(MODEL, "переживи смену воркера").toBuilder()
                        .putAdditionalBodyProperty("x_sim", JsonValue.from(Map.of("key", "failover", "ttft_ms", 1500)))
                        .build())
                .choices().getFirst().message().content().orElseThrow());

        await().atMost(Duration.ofSeconds(30)).until(() -> host.requestsForKey("failover") == 1);
        first.close();
        assertEquals(false, answer.isDone(), "the first worker went away before the host answered");

        try (WorkerService replacement = WorkerService.start(stack.settings(), model)) {
            assertEquals(expected, answer.get(60, TimeUnit.SECONDS));
            assertEquals(2, host.requestsForKey("failover"), "the replacement re-ran the request once");
        }
    }
}
