package io.llmgw.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Warms a path up until the JIT has settled, instead of for a fixed time: it sends load in consecutive windows and
 * stops once the median latency of a clean window no longer falls against the best window seen and the measured JVMs'
 * compilers used at most {@link #MAX_JIT_CORES} during it ({@link JitActivity}), {@link #STABLE_WINDOWS} times in a
 * row, or when the cap is reached. A cold gateway answers in seconds at first and in milliseconds once C2
 * has compiled the request path; a fixed short warm-up measured the former and reported it as the product's speed.
 *
 * <p>The windows climb to the rate ({@link Ramp}): a cold JVM sent the full rate at once falls behind, its backlog
 * then sets every window's median (seconds of queueing, not the JIT), and the compilers share the cores with the
 * request threads that pile up; at a rate it keeps up with, requests still flow and the JIT gets its cycles.
 *
 * <p>Pure decision logic lives in {@link Settling} and {@link Ramp} so that it is tested without load.
 */
final class JitWarmup {

    /** Windows in a row whose p50 stays within {@link #SETTLED_RATIO} of the best before the path counts as warm. */
    static final int STABLE_WINDOWS = 2;
    /** A window whose p50 is within this factor of the best window's (either way) counts as "no longer falling". */
    static final double SETTLED_RATIO = 1.15;
    /** Windows that shed, failed or fell behind the rate say nothing about the JIT; they reset the count. */
    static final double MIN_ACHIEVED_SHARE = 0.95;
    /** The most a JVM's compilers may use in a window (cores) for it to count as settled. */
    static final double MAX_JIT_CORES = 0.05;

    /**
     * What a warm-up needed: its windows' p50s and the rate each was sent at, the time it took, and whether it settled
     * before the cap.
     */
    record Outcome(List<Double> windowP50s, List<Double> windowRates, Duration took, boolean settled,
                   Map<String, Double> lastJitCores) {
    }

    private JitWarmup() {
    }

    static Outcome run(final double rate, final Duration window, final Duration cap, final Duration timeout,
                       final JitActivity jit, final Supplier<CompletableFuture<io.llmgw.bench.Outcome>> operation)
            throws InterruptedException {
        final long started = System.nanoTime();
        final Settling settling = new Settling();
        final Ramp ramp = new Ramp(rate);
        final List<Double> rates = new ArrayList<>();
        final int maxOutstanding = (int) Math.min(5000, Math.max(256, rate));
        Map<String, Double> jitCores = jit.coresSinceLast();
        while (!settling.settled() && System.nanoTime() - started < cap.toNanos()) {
            final double windowRate = ramp.rate();
            rates.add(windowRate);
            final OpenLoop.Result result = OpenLoop.run(
                    new OpenLoop.Plan(windowRate, Duration.ZERO, window, timeout, maxOutstanding), operation);
            jitCores = jit.coresSinceLast();
            final boolean clean = result.errors() == 0 && result.achievedRate() >= MIN_ACHIEVED_SHARE * windowRate;
            ramp.next(clean, result.latency().p50());
            // only windows at the rate itself say whether the path is warm at that rate
            settling.add(result.latency().p50(), clean && windowRate == rate, JitActivity.busiest(jitCores));
        }
        return new Outcome(settling.p50s(), List.copyOf(rates), Duration.ofNanos(System.nanoTime() - started),
                settling.settled(), jitCores);
    }

    /**
     * The rate of the next window: from a quarter of the target, doubled after a window the path kept up with (clean,
     * median under {@link #KEEPING_UP_P50_MS}), halved (down to an eighth) after one it did not.
     */
    static final class Ramp {

        /** A median above this is a queue building up, not a path answering. */
        static final double KEEPING_UP_P50_MS = 250;

        private final double target;
        private double rate;

        Ramp(final double target) {
            this.target = target;
            this.rate = target / 4;
        }

        double rate() {
            return rate;
        }

        void next(final boolean clean, final double p50Ms) {
            rate = clean && p50Ms <= KEEPING_UP_P50_MS ? Math.min(target, rate * 2) : Math.max(target / 8, rate / 2);
        }
    }

    /** The stopping rule over the windows seen so far. */
    static final class Settling {

        private final List<Double> p50s = new ArrayList<>();
        private double best = Double.MAX_VALUE;
        private int stable;

        void add(final double p50Ms, final boolean clean) {
            add(p50Ms, clean, 0);
        }

        /** A window: its p50, whether it was clean, and the most cores a measured JVM spent compiling during it. */
        void add(final double p50Ms, final boolean clean, final double jitCores) {
            p50s.add(p50Ms);
            if (!clean || jitCores > MAX_JIT_CORES) {
                stable = 0;
                return;
            }
            // "no longer falling": neither a real improvement on the best window nor a regression from it
            if (best != Double.MAX_VALUE && p50Ms >= best / SETTLED_RATIO && p50Ms <= best * SETTLED_RATIO) {
                stable++;
            } else {
                stable = 0;
            }
            best = Math.min(best, p50Ms);
        }

        boolean settled() {
            return stable >= STABLE_WINDOWS;
        }

        List<Double> p50s() {
            return List.copyOf(p50s);
        }
    }
}
