package io.llmgw.processors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker instance's meters, tagged with the model: upstream calls started (retries included), requests completed,
 * requests failed by status, retries, cancellations by reason, and requests in flight. Safe from any thread.
 *
 * <p>Counters of several instances of one model in a process add up. The in-flight gauge is per instance (tag
 * {@code worker}), since a gauge reads one instance's number, and is removed on {@link #close()}, so that a replaced
 * instance leaves no stale series behind.
 */
public final class WorkerMetrics implements AutoCloseable {

    /** Cancel reasons the gateway sends; anything else counts as "other", so control records cannot add series. */
    private static final Set<String> KNOWN_REASONS = Set.of("client_disconnected", "deadline", "publish_failed",
            "gateway_error", "gateway_shutdown");

    private final MeterRegistry registry;
    private final String model;
    private final Counter started;
    private final Counter completed;
    private final Counter retries;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Gauge inFlightGauge;

    public WorkerMetrics(final MeterRegistry registry, final String model, final String instance) {
        this.registry = registry;
        this.model = model;
        this.started = Counter.builder("llmgw.worker.calls.started").description("upstream calls started, retries included")
                .tag("model", model).register(registry);
        this.completed = Counter.builder("llmgw.worker.requests.completed").description("requests that ended complete")
                .tag("model", model).register(registry);
        this.retries = Counter.builder("llmgw.worker.retries").description("upstream calls retried after a failure")
                .tag("model", model).register(registry);
        this.inFlightGauge = Gauge.builder("llmgw.worker.inflight", inFlight, AtomicInteger::get)
                .description("requests started and not finished").tag("model", model).tag("worker", instance)
                .register(registry);
    }

    /** Meters in Micrometer's global registry, which the launcher binds to Prometheus. */
    public static WorkerMetrics global(final String model, final String instance) {
        return new WorkerMetrics(Metrics.globalRegistry, model, instance);
    }

    void callStarted() {
        started.increment();
    }

    void admitted() {
        inFlight.incrementAndGet();
    }

    /** A request left this task: finished, or handed to the next owner of the task. */
    void released() {
        inFlight.decrementAndGet();
    }

    void completed() {
        completed.increment();
    }

    void failed(final int status) {
        Counter.builder("llmgw.worker.requests.failed").description("requests that ended with an error event")
                .tag("model", model).tag("status", Integer.toString(status)).register(registry).increment();
    }

    /** A request handed to the fallback model after this one's tries ran out. */
    void fellBack(final String fallback) {
        Counter.builder("llmgw.worker.fallbacks").description("requests handed to the fallback model")
                .tag("model", model).tag("fallback", fallback).register(registry).increment();
    }

    void retried() {
        retries.increment();
    }

    /** A request ended by a cancel command; {@code reason} is its reason code ({@code client_disconnected}, ...). */
    void cancelled(final String reason) {
        Counter.builder("llmgw.worker.cancellations").description("requests ended by a cancel, before or during the call")
                .tag("model", model).tag("reason", KNOWN_REASONS.contains(reason) ? reason : "other")
                .register(registry).increment();
    }

    int inFlight() {
        return inFlight.get();
    }

    @Override
    public void close() {
        registry.remove(inFlightGauge);
    }
}
