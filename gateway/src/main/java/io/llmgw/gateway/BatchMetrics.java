package io.llmgw.gateway;

import io.llmgw.batches.BatchStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.function.Supplier;

/**
 * Batch metrics: {@code llmgw_gateway_batches{status}} (batches of the deployment by status, as this instance's
 * directory sees them: every instance reports the same) and {@code llmgw_gateway_batch_lines_total{outcome}} (lines
 * that ended while this instance drove their batch: {@code completed} in the output file, {@code failed} in the
 * error file).
 */
final class BatchMetrics {

    private final Counter completed;
    private final Counter failed;

    BatchMetrics(final PrometheusMeterRegistry registry, final BatchDirectory directory) {
        for (final BatchStatus status : BatchStatus.values()) {
            final Supplier<Number> count = () -> directory.all().stream().filter(b -> b.status() == status).count();
            Gauge.builder("llmgw.gateway.batches", count).description("Batches by status")
                    .tag("status", status.wireName()).register(registry);
        }
        this.completed = lines(registry, "completed");
        this.failed = lines(registry, "failed");
    }

    void lineDone(final boolean success) {
        (success ? completed : failed).increment();
    }

    private static Counter lines(final PrometheusMeterRegistry registry, final String outcome) {
        return Counter.builder("llmgw.gateway.batch.lines").description("Batch lines ended, by outcome")
                .tag("outcome", outcome).register(registry);
    }
}
