package io.llmgw.bench;

import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * The saturated cases of issue 9: more requests than slots, so that Kafka is the waiting room and the worker's
 * scheduler decides who goes next. Every figure is read where it is felt: start times and open calls at the host
 * ({@link PacedHost}), chunk arrival at the caller ({@link SaturatedClient}). The targets are in BENCHMARKS.md.
 *
 * <p>Threads: the cases run on the caller's thread; the calls run on the client's virtual threads.
 */
final class SaturationCases {

    private static final Duration CASE_TIMEOUT = Duration.ofMinutes(3);
    /** A gap that added this much is late enough to ask where it grew (three quarters of the 20 ms target). */
    static final double LATE_GAP_MS = 15;

    /**
     * Cap and throughput: {@code calls} streams at once; chunk gaps of running streams while the rest wait.
     *
     * @param addedGapMs   what the path added to each gap between two chunks: the gap the client saw minus the gap
     *                     between the host's writes of the same two chunks (host and client share one clock)
     * @param overPaceMs   the client's gaps minus the nominal pace: also holds the host's own lateness (its sleeps
     *                     in a benchmark JVM that is busy reading 96 streams)
     * @param late         where the gaps that added more than {@link #LATE_GAP_MS} grew; null when not traced
     */
    record Throughput(int calls, int slots, long callMs, double makespanMs, double ratio, int hostMaxOpen,
                      int failed, LatencyStats addedGapMs, LatencyStats overPaceMs, ChunkTrail.Split late) {
    }

    /** A flood of {@code low} requests, then {@code high} ones: how long the high ones waited for a slot. */
    record Priorities(int flood, int high, LatencyStats highWaitMs, double boundMs, double floodLastStartMs,
                      int failed) {
    }

    /** Two callers, one sending ten times the other, both waiting: the small one's share of the starts. */
    record Fairness(int bigCalls, int smallCalls, int windowStarts, int smallStarts, double smallShare, int failed) {
    }

    /** One of two worker instances killed with SIGKILL while both are saturated. */
    record Kill(int calls, long firstRerunMs, int rerun, int lost, int hostMaxOpenA, int hostMaxOpenB) {
    }

    private final SaturationStack stack;
    private final PacedHost host;
    private final SaturatedClient client;
    private final Duration callTime;
    private final Duration pace;

    SaturationCases(final SaturationStack stack, final PacedHost host, final SaturatedClient client,
                    final Duration callTime, final Duration pace) {
        this.stack = stack;
        this.host = host;
        this.client = client;
        this.callTime = callTime;
        this.pace = pace;
    }

    /** The measured case; {@code traced} also cuts its late gaps at the worker's send ({@link ChunkTrail}). */
    Throughput throughput(final int calls, final boolean traced) throws InterruptedException {
        host.reset();
        final List<CompletableFuture<SaturatedClient.Result>> sent = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            sent.add(client.stream("t" + i, Map.of()));
        }
        final List<SaturatedClient.Result> results = await(sent);
        final List<PacedHost.Call> seen = host.calls();
        final long firstStart = seen.stream().mapToLong(PacedHost.Call::startNanos).min().orElse(0);
        final long lastEnd = seen.stream().mapToLong(PacedHost.Call::endNanos).max().orElse(0);
        final double makespanMs = (lastEnd - firstStart) / 1e6;
        // the best any scheduler can do with these slots: ceil(calls / slots) call times back to back
        final double idealMs = Math.ceil((double) calls / stack.slots()) * callTime.toNanos() / 1e6;
        final Map<String, List<Long>> written = new HashMap<>();
        // a tag called twice (a re-run) keeps its last call, the one whose chunks the client read
        seen.forEach(call -> written.put(call.tag(), call.chunkNanos()));
        final ChunkTrail.Split late = traced
                ? ChunkTrail.read(stack.bootstrap(), stack.eventsTopic()).split(results, written, LATE_GAP_MS) : null;
        final ChunkGaps gaps = new ChunkGaps(pace);
        results.forEach(result -> gaps.add(result.chunkNanos(), written.getOrDefault(result.tag(), List.of())));
        return new Throughput(calls, stack.slots(), callTime.toMillis(), makespanMs, idealMs / makespanMs,
                host.maxOpen(), failed(results), gaps.addedMs(), gaps.overPaceMs(), late);
    }

    Priorities priorities(final int flood, final int high) throws InterruptedException {
        host.reset();
        final List<CompletableFuture<SaturatedClient.Result>> sent = new ArrayList<>();
        final long floodSent = System.nanoTime();
        for (int i = 0; i < flood; i++) {
            sent.add(client.stream("low" + i, Map.of("X-Priority", "low")));
        }
        // the flood holds every slot (and the rest of it waits) before the first high request is sent
        awaitCondition(() -> host.open() >= stack.slots(), "the flood to fill the slots");
        final Map<String, Long> highSent = new HashMap<>();
        for (int i = 0; i < high; i++) {
            highSent.put("high" + i, System.nanoTime());
            sent.add(client.stream("high" + i, Map.of("X-Priority", "high")));
        }
        final List<SaturatedClient.Result> results = await(sent);
        final Histogram waits = LatencyStats.newMicrosHistogram();
        long floodLastStart = 0;
        for (final PacedHost.Call call : host.calls()) {
            final Long at = highSent.get(call.tag());
            if (at != null) {
                waits.recordValue(Math.max(0, (call.startNanos() - at) / 1000));
            } else if (call.tag().startsWith("low")) {
                floodLastStart = Math.max(floodLastStart, call.startNanos());
            }
        }
        final double boundMs = callTime.toMillis() + 50;
        return new Priorities(flood, high, LatencyStats.ofMicros(waits), boundMs, (floodLastStart - floodSent) / 1e6,
                failed(results));
    }

    Fairness fairness(final int bigCalls, final int smallCalls) throws InterruptedException {
        host.reset();
        final List<CompletableFuture<SaturatedClient.Result>> sent = new ArrayList<>();
        for (int i = 0; i < bigCalls; i++) {
            sent.add(client.stream("big" + i, Map.of("X-Fairness-Key", "big")));
        }
        awaitCondition(() -> host.open() >= stack.slots(), "the big caller to fill the slots");
        final long smallSent = System.nanoTime();
        for (int i = 0; i < smallCalls; i++) {
            sent.add(client.stream("small" + i, Map.of("X-Fairness-Key", "small")));
        }
        final List<SaturatedClient.Result> results = await(sent);
        final List<PacedHost.Call> calls = host.calls();
        final long smallFirstStart = calls.stream().filter(c -> c.tag().startsWith("small"))
                .mapToLong(PacedHost.Call::startNanos).min().orElse(smallSent);
        final long smallLastStart = calls.stream().filter(c -> c.tag().startsWith("small"))
                .mapToLong(PacedHost.Call::startNanos).max().orElse(smallSent);
        // the window in which both callers certainly had work waiting at the worker: from the small caller's first
        // start (its requests have crossed the gateway and the router by then) to its last, while the big caller's
        // flood, which outlasts it by far, still waits. Starts before the first one are the path's latency, not the
        // scheduler's choice.
        final List<PacedHost.Call> window = calls.stream()
                .filter(c -> c.startNanos() >= smallFirstStart && c.startNanos() <= smallLastStart).toList();
        final int smallStarts = (int) window.stream().filter(c -> c.tag().startsWith("small")).count();
        return new Fairness(bigCalls, smallCalls, window.size(), smallStarts,
                window.isEmpty() ? 0 : (double) smallStarts / window.size(), failed(results));
    }

    /**
     * Both instances saturated, then {@code sat-b} killed with SIGKILL while it holds every slot: how soon a call it
     * had started starts again on {@code sat-a}, and whether every request still gets its answer.
     */
    Kill kill(final PacedHost hostB, final int calls) throws Exception {
        host.reset();
        try (NodeProcess workerB = stack.startSecondWorker(hostB)) {
            final List<CompletableFuture<SaturatedClient.Result>> sent = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                sent.add(client.complete("k" + i));
            }
            awaitCondition(() -> hostB.open() >= stack.slots(), "the second worker to fill its slots");
            final long killedAt = System.nanoTime();
            workerB.kill();
            final List<SaturatedClient.Result> results = await(sent);
            final Map<String, Long> startedOnB = hostB.calls().stream().filter(c -> c.startNanos() < killedAt)
                    .collect(Collectors.toMap(PacedHost.Call::tag, PacedHost.Call::startNanos, Math::min));
            final List<Long> reruns = host.calls().stream()
                    .filter(c -> startedOnB.containsKey(c.tag()) && c.startNanos() > killedAt)
                    .map(c -> (c.startNanos() - killedAt) / 1_000_000).sorted().toList();
            return new Kill(calls, reruns.isEmpty() ? -1 : reruns.getFirst(), reruns.size(), failed(results),
                    host.maxOpen(), hostB.maxOpen());
        }
    }

    private static int failed(final List<SaturatedClient.Result> results) {
        return (int) results.stream().filter(result -> !result.ok()).count();
    }

    private static List<SaturatedClient.Result> await(final List<CompletableFuture<SaturatedClient.Result>> sent)
            throws InterruptedException {
        final long deadline = System.nanoTime() + CASE_TIMEOUT.toNanos();
        final List<SaturatedClient.Result> results = new ArrayList<>();
        for (final CompletableFuture<SaturatedClient.Result> call : sent) {
            try {
                results.add(call.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (final ExecutionException | TimeoutException e) {
                throw new IllegalStateException("a saturated call did not end within " + CASE_TIMEOUT, e);
            }
        }
        return results;
    }

    /** Polls a counter of the host: another thread's state with no event to wait on. */
    private static void awaitCondition(final BooleanSupplier condition, final String what)
            throws InterruptedException {
        final long deadline = System.nanoTime() + CASE_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }
}
