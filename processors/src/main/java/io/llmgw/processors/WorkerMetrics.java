package io.llmgw.processors;

import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker instance's meters, tagged with the model: upstream calls started (retries included), requests completed,
 * requests failed by status, retries, cancellations by reason, fallbacks, upstream errors by status, requests in
 * flight, and the latency timers: queue wait, time to first token and the worker's time per request. Safe from any
 * thread.
 *
 * <p>Queue wait and time to first token count from the gateway's acceptance ({@code receivedAtMs} of the envelope,
 * the gateway host's clock): they are what a client waits for, Kafka hops and backlog included; clock skew between
 * hosts shows up in them.
 *
 * <p>Counters of several instances of one model in a process add up. The in-flight gauge is per instance (tag
 * {@code worker}), since a gauge reads one instance's number, and is removed on {@link #close()}, so that a replaced
 * instance leaves no stale series behind.
 */
public final class WorkerMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final String model;
    private final Counter started;
    private final Counter completed;
    private final Counter retries;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Gauge inFlightGauge;
    private final Timer queueWait;
    private final Timer firstToken;

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
        this.queueWait = Timer.builder("llmgw.worker.queue.wait")
                .description("from the gateway accepting a request to a worker starting its upstream call")
                .tag("model", model).register(registry);
        this.firstToken = Timer.builder("llmgw.worker.first.token")
                .description("streams: from the gateway accepting a request to its first chunk leaving the worker")
                .tag("model", model).register(registry);
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

    /** A request ended by a cancel command; tagged with the reason's wire code (a fixed set: unknown codes read as other). */
    void cancelled(final CancelReason reason) {
        Counter.builder("llmgw.worker.cancellations").description("requests ended by a cancel, before or during the call")
                .tag("model", model).tag("reason", reason.wire())
                .register(registry).increment();
    }

    int inFlight() {
        return inFlight.get();
    }

    /** A request was admitted and its first upstream call is about to start. */
    void callAdmitted(final RequestEnvelope request, final long nowMs) {
        queueWait.record(sinceAccepted(request, nowMs));
    }

    /** A stream's first chunk is being forwarded. */
    void firstChunk(final RequestEnvelope request, final long nowMs) {
        firstToken.record(sinceAccepted(request, nowMs));
    }

    /** A request this worker admitted ended with {@code terminal}; {@code admittedAtMs} is when its work began. */
    void ended(final ResponseEvent terminal, final long admittedAtMs, final long nowMs) {
        Timer.builder("llmgw.worker.request.duration")
                .description("from a worker admitting a request to its terminal event (retries included)")
                .tag("model", model).tag("outcome", terminal.type() == EventType.COMPLETE ? "complete" : "error")
                .register(registry).record(Duration.ofMillis(Math.max(0, nowMs - admittedAtMs)));
    }

    /** One upstream try failed (connect error, HTTP error status, broken stream, timeout), retried or not. */
    void upstreamFailed(final int status) {
        Counter.builder("llmgw.worker.upstream.errors").description("upstream tries that failed, by status")
                .tag("model", model).tag("status", Integer.toString(status)).register(registry).increment();
    }

    private static Duration sinceAccepted(final RequestEnvelope request, final long nowMs) {
        return Duration.ofMillis(Math.max(0, nowMs - request.receivedAtMs()));
    }

    @Override
    public void close() {
        registry.remove(inFlightGauge);
    }
}
