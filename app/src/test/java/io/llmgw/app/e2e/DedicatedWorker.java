package io.llmgw.app.e2e;

import com.openai.client.OpenAIClient;
import io.llmgw.processors.ModelCatalog;
import io.llmgw.processors.ModelSpec;
import io.llmgw.processors.WorkerService;
import io.llmgw.settings.Settings;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker of its own for one test's model, on the shared stack's broker and simulator, with the settings the test
 * needs ({@code WORKER_CONCURRENCY=1}, short timeouts, ...). Its model topic has one partition.
 */
final class DedicatedWorker implements AutoCloseable {

    private final WorkerService worker;

    private DedicatedWorker(final WorkerService worker) {
        this.worker = worker;
    }

    /** Starts it, waits until it runs and until the shared gateway lists its model. */
    static DedicatedWorker start(final E2eStack stack, final String model, final Map<String, String> settings)
            throws InterruptedException {
        final Settings merged = stack.settings().with(settings);
        return start(stack, ModelCatalog.forHost(merged, List.of(model), stack.stack().simulator().baseUrl(), null)
                .getFirst(), settings);
    }

    /** The same for a model spec the test made, on the shared simulator ({@link #simulated}). */
    static DedicatedWorker start(final E2eStack stack, final ModelSpec spec, final Map<String, String> settings)
            throws InterruptedException {
        final Settings merged = stack.settings().with(settings).with(Map.of("MODEL_PARTITIONS", "1"));
        final String model = spec.name();
        // meters in the stack's registry, as ./llmgw dev wires its workers: the gateway's /metrics shows them
        final WorkerService worker = WorkerService.start(merged, spec, stack.stack().metrics().registry());
        assertTrue(worker.awaitRunning(Duration.ofSeconds(60)), "worker for " + model + " running");
        final OpenAIClient client = stack.client();
        await().atMost(Duration.ofSeconds(30)).until(() -> client.models().list().data().stream()
                .anyMatch(m -> m.id().equals(model)));
        return new DedicatedWorker(worker);
    }

    /** A spec for {@code model} on the shared simulator with the stack's defaults, for a test to adjust. */
    static ModelSpec simulated(final E2eStack stack, final String model) {
        return ModelCatalog.forHost(stack.settings(), List.of(model), stack.stack().simulator().baseUrl(), null)
                .getFirst();
    }

    @Override
    public void close() {
        worker.close();
    }
}
