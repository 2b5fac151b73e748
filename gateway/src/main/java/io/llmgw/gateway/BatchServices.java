package io.llmgw.gateway;

import io.llmgw.schemas.CancelCommand;
import org.apache.kafka.clients.consumer.Consumer;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * What a {@link BatchRun} works with, shared by every run of an instance (all of it thread-safe).
 *
 * @param events          a new consumer (no group) of the events topic, owned by the run that asks for it
 * @param eventsTopic     the events topic's name
 * @param eventPartitions how many partitions it has
 * @param window          lines of one batch published and not yet finished, at most ({@code GATEWAY_BATCH_WINDOW})
 * @param progressEvery   how often a run writes its counts to the batch's record
 * @param cancelGrace     how long a cancelled or expired batch waits for the lines it had published to end
 * @param keys            the managed keys, for the models a batch's key may call (null: any)
 */
record BatchServices(BatchDirectory directory, FileStore files, RequestPublisher publisher,
                     RequestValidator validator, ModelCatalog models, Supplier<Consumer<String, byte[]>> events,
                     String eventsTopic, int eventPartitions, String gatewayId, int window, Duration progressEvery,
                     Duration cancelGrace, Clock clock, BatchMetrics metrics, KeyTable keys) {

    /** Whether the batch's key may call {@code model}: managed keys carry model globs; other callers may call any. */
    boolean allows(final String keyId, final String model) {
        if (keys == null || keyId == null || !keyId.startsWith("key_")) {
            return true;
        }
        return keys.byId(keyId.substring("key_".length())).map(key -> key.allows(model)).orElse(true);
    }

    void cancel(final CancelCommand command) {
        publisher.cancel(command);
    }
}
