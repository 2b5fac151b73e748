package io.llmgw.bench;

import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Open-loop load at a fixed rate: operation {@code i} is due at {@code start + i / rate} whatever happened to the
 * ones before it, and its latency counts from that intended start, not from when it was actually sent. A slow
 * answer therefore cannot hide the queue behind it (no coordinated omission): if the pacer or the system falls
 * behind, the wait shows up in the latencies.
 *
 * <p>Operations are asynchronous ({@link CompletableFuture}s), so one pacer thread sends them all. The pacer never
 * waits for an answer; the only brake is {@link Plan#maxOutstanding()}: past it, an operation is not sent but counted
 * as an error ({@code shed: client limit}), so that an overloaded step fails instead of exhausting sockets.
 */
final class OpenLoop {

    /** Extra time granted after the last operation's own timeout before the step gives up on stragglers. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);

    /**
     * One fixed-rate step.
     *
     * @param rate           operations per second
     * @param warmup         time sent at the same rate before measuring; not counted
     * @param measure        the measured window; operations due in it are counted
     * @param timeout        an operation not done within this is an error ({@code timeout})
     * @param maxOutstanding operations in flight beyond which new ones are shed
     */
    record Plan(double rate, Duration warmup, Duration measure, Duration timeout, int maxOutstanding) {

        Plan {
            if (!(rate > 0) || measure.isNegative() || measure.isZero() || warmup.isNegative()) {
                throw new IllegalArgumentException("invalid load plan: rate " + rate + ", warmup " + warmup
                        + ", measure " + measure);
            }
        }
    }

    /**
     * What a step measured.
     *
     * @param targetRate   the rate asked for
     * @param achievedRate successful completions per second during the measured window
     * @param sent         operations due in the window (sent or shed)
     * @param ok           of those, how many succeeded
     * @param errors       of those, how many failed, timed out or were shed
     * @param errorKinds   errors by kind
     * @param latency      latency of the successful ones, from intended start
     */
    record Result(double targetRate, double achievedRate, long sent, long ok, long errors,
                  Map<String, Long> errorKinds, LatencyStats latency) {

        Result {
            errorKinds = Map.copyOf(errorKinds);
        }

        double errorRatio() {
            return sent == 0 ? 0 : (double) errors / sent;
        }
    }

    private OpenLoop() {
    }

    /** Runs one step and returns when every operation of it has ended or given up. */
    static Result run(final Plan plan, final Supplier<CompletableFuture<Outcome>> operation)
            throws InterruptedException {
        return new Step(plan).run(operation);
    }

    /** The state of one running step; its counters are shared between the pacer and completion threads. */
    private static final class Step {

        private final Plan plan;
        private final Histogram latencyMicros = LatencyStats.newMicrosHistogram();
        private final Map<String, Long> errorKinds = new TreeMap<>();
        private final AtomicInteger outstanding = new AtomicInteger();
        private long sent;
        private long ok;
        private long errors;
        private long completedInWindow;
        private long windowStart;
        private long windowEnd;

        Step(final Plan plan) {
            this.plan = plan;
        }

        Result run(final Supplier<CompletableFuture<Outcome>> operation) throws InterruptedException {
            final long periodNanos = Math.max(1, Math.round(1e9 / plan.rate()));
            final long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            windowStart = start + plan.warmup().toNanos();
            windowEnd = windowStart + plan.measure().toNanos();
            final List<CompletableFuture<?>> pending = new ArrayList<>();
            for (long i = 0; ; i++) {
                final long intended = start + i * periodNanos;
                if (intended >= windowEnd) {
                    break;
                }
                sleepUntil(intended);
                pending.add(send(intended, operation));
                if (pending.size() >= 10_000) {
                    pending.removeIf(CompletableFuture::isDone);
                }
            }
            awaitAll(pending);
            synchronized (this) {
                final double seconds = plan.measure().toNanos() / 1e9;
                return new Result(plan.rate(), completedInWindow / seconds, sent, ok, errors, errorKinds,
                        LatencyStats.ofMicros(latencyMicros));
            }
        }

        private CompletableFuture<?> send(final long intended, final Supplier<CompletableFuture<Outcome>> operation) {
            if (outstanding.get() >= plan.maxOutstanding()) {
                record(intended, System.nanoTime(), Outcome.failed("shed: client limit"));
                return CompletableFuture.completedFuture(null);
            }
            outstanding.incrementAndGet();
            CompletableFuture<Outcome> started;
            try {
                started = operation.get();
            } catch (final RuntimeException e) {
                started = CompletableFuture.completedFuture(Outcome.failed(e));
            }
            return started.orTimeout(plan.timeout().toNanos(), TimeUnit.NANOSECONDS)
                    .handle((outcome, error) -> {
                        outstanding.decrementAndGet();
                        record(intended, System.nanoTime(), error != null ? Outcome.failed(error) : outcome);
                        return null;
                    });
        }

        private synchronized void record(final long intended, final long done, final Outcome outcome) {
            if (outcome.ok() && done >= windowStart && done < windowEnd) {
                completedInWindow++;
            }
            if (intended < windowStart) {
                return; // warm-up
            }
            sent++;
            if (outcome.ok()) {
                ok++;
                latencyMicros.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(done - intended)));
            } else {
                errors++;
                errorKinds.merge(outcome.error(), 1L, Long::sum);
            }
        }

        private void awaitAll(final List<CompletableFuture<?>> pending) throws InterruptedException {
            final CompletableFuture<Void> all = CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
            try {
                all.get(plan.timeout().plus(DRAIN_GRACE).toNanos(), TimeUnit.NANOSECONDS);
            } catch (final ExecutionException | TimeoutException e) {
                // every operation has its own timeout and records its own failure; nothing more to learn here
            }
        }
    }

    /** Parks until {@code deadline} (System.nanoTime); returns at once when it has passed. */
    static void sleepUntil(final long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }
}
