package io.llmgw.processors;

import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.Priority;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker instance's meters, tagged with the model: upstream calls started (retries included), requests completed,
 * requests failed by status, retries, cancellations by reason, fallbacks, upstream errors by status; the scheduler's
 * gauges (waiting and running requests by priority, free slots) and admissions by priority and caller; and the
 * latency timers: queue wait (by priority), time to first token and the worker's time per request. Safe from any
 * thread.
 *
 * <p>Queue wait and time to first token count from the gateway's acceptance ({@code receivedAtMs} of the envelope,
 * the gateway host's clock): they are what a client waits for, Kafka hops and backlog included; clock skew between
 * hosts shows up in them.
 *
 * <p>Counters of several instances of one model in a process add up. Gauges are per instance (tag {@code worker}),
 * since a gauge reads one instance's number, and are removed on {@link #close()}, so that a replaced instance leaves
 * no stale series behind. The {@code caller} tag of admissions is the API key id (bounded by the keys configured),
 * never the fairness key, which clients choose freely.
 */
public final class WorkerMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final String model;
    private final Counter started;
    private final Counter completed;
    private final Counter retries;
    private final String instance;
    private final AtomicInteger[] waiting = counts();
    private final AtomicInteger[] running = counts();
    private final List<Meter> gauges = new ArrayList<>();
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
        this.instance = instance;
        gauges.add(Gauge.builder("llmgw.worker.inflight", running, WorkerMetrics::sum)
                .description("requests started and not finished").tag("model", model).tag("worker", instance)
                .register(registry));
        for (final Priority priority : Priority.values()) {
            gauges.add(Gauge.builder("llmgw.worker.waiting", waiting[priority.ordinal()], AtomicInteger::get)
                    .description("requests read and waiting for a free slot").tag("model", model)
                    .tag("priority", priority.wireName()).tag("worker", instance).register(registry));
            gauges.add(Gauge.builder("llmgw.worker.running", running[priority.ordinal()], AtomicInteger::get)
                    .description("requests holding a slot").tag("model", model)
                    .tag("priority", priority.wireName()).tag("worker", instance).register(registry));
        }
        this.firstToken = Timer.builder("llmgw.worker.first.token")
                .description("streams: from the gateway accepting a request to its first chunk leaving the worker")
                .tag("model", model).register(registry);
    }

    private static AtomicInteger[] counts() {
        final AtomicInteger[] counts = new AtomicInteger[Priority.values().length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new AtomicInteger();
        }
        return counts;
    }

    private static int sum(final AtomicInteger[] counts) {
        int sum = 0;
        for (final AtomicInteger count : counts) {
            sum += count.get();
        }
        return sum;
    }

    /** The free-slots gauge of an instance whose cap is {@code slots}. */
    void bindSlots(final int slots) {
        gauges.add(Gauge.builder("llmgw.worker.slots.free", running, counts -> slots - sum(counts))
                .description("slots of WORKER_CONCURRENCY not held by a request").tag("model", model)
                .tag("worker", instance).register(registry));
    }

    void waiting(final Priority priority, final int delta) {
        waiting[priority.ordinal()].addAndGet(delta);
    }

    /** A waiting request took a slot: queue wait by priority, admissions by priority and caller. */
    void started(final ScheduledCall call, final long nowMs) {
        final RequestEnvelope request = call.request();
        running[call.priority().ordinal()].incrementAndGet();
        Timer.builder("llmgw.worker.queue.wait")
                .description("from the gateway accepting a request to a worker starting its upstream call")
                .tag("model", model).tag("priority", call.priority().wireName()).register(registry)
                .record(sinceAccepted(request, nowMs));
        Counter.builder("llmgw.worker.admissions").description("requests that took a slot, by priority and caller")
                .tag("model", model).tag("priority", call.priority().wireName())
                .tag("caller", request.keyId() == null ? "none" : request.keyId()).register(registry).increment();
    }

    /** A running request ended or was dropped with its task. */
    void stopped(final Priority priority) {
        running[priority.ordinal()].decrementAndGet();
    }

    void callStarted() {
        started.increment();
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

    int running() {
        return sum(running);
    }

    int waiting() {
        return sum(waiting);
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
        gauges.forEach(registry::remove);
    }
}
