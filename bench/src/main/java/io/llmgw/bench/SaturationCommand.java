package io.llmgw.bench;

import io.llmgw.schemas.Json;
import io.llmgw.settings.Settings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code llmgw bench --saturated}: the regime the product exists for, where requests outnumber the host's slots. It
 * starts its own stack ({@link SaturationStack}) against hosts with a fixed call time ({@link PacedHost}), warms the
 * path up, runs the four {@link SaturationCases} and prints them against their targets (BENCHMARKS.md).
 */
final class SaturationCommand {

    static final String USAGE = """
            usage: llmgw bench --saturated [--slots N] [--call-ms MS] [--pace-ms MS] [--out DIR]

            More requests than slots: one worker instance with N slots (WORKER_CONCURRENCY) in front of a host
            whose every call takes --call-ms (streams get a chunk every --pace-ms). Cases: the cap and throughput,
            chunk gaps of running streams while others wait, a low-priority flood then high requests, two callers
            at 10:1, and a second worker instance killed with SIGKILL under saturation. Writes saturated.json.

              --slots N      WORKER_CONCURRENCY of each worker instance   (8)
              --call-ms MS   the host's time per call                    (500)
              --pace-ms MS   the host's time between stream chunks        (20)
              --warmup-s S   longest warm-up before the cases               (180)
              --out DIR      results directory                           (bench-results/<date-time>-saturated)
            """;

    /** Everything one run measured, as written to {@code saturated.json}. */
    record Report(String startedAt, BenchReport.Machine machine, int slots, long callMs, long paceMs,
                  SaturationCases.Throughput throughput, SaturationCases.Priorities priorities,
                  SaturationCases.Fairness fairness, SaturationCases.Kill kill, Warmup warmup) {
    }

    /**
     * The unreported rounds before the cases: how many, how long, and whether the stack's JIT compilers had gone
     * quiet ({@code jitCores} in the last round, at most {@link JitWarmup#MAX_JIT_CORES}) before the cap.
     */
    record Warmup(int rounds, double seconds, boolean settled, double jitCores) {
    }

    private SaturationCommand() {
    }

    static void run(final Settings settings, final List<String> args) throws Exception {
        if (args.contains("--help") || args.contains("-h")) {
            System.out.print(USAGE);
            return;
        }
        final int slots = (int) BenchOptions.number("--slots", option(args, "--slots", "8"));
        final Duration callTime = Duration.ofMillis((long) BenchOptions.number("--call-ms",
                option(args, "--call-ms", "500")));
        final Duration pace = Duration.ofMillis((long) BenchOptions.number("--pace-ms",
                option(args, "--pace-ms", "20")));
        final Duration warmupCap = Duration.ofSeconds((long) BenchOptions.number("--warmup-s",
                option(args, "--warmup-s", "180")));
        if (slots < 1 || callTime.toMillis() < 10 || pace.isZero() || pace.compareTo(callTime) > 0) {
            throw new IllegalArgumentException("--slots must be >= 1, --call-ms >= 10 and --pace-ms in (0, call-ms]");
        }
        final Path out = Path.of(option(args, "--out", Path.of("bench-results", LocalDateTime.now()
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-saturated").toString()))
                .toAbsolutePath();
        Files.createDirectories(out);
        final String startedAt = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
        final BenchReport.Machine machine = BenchReport.Machine.current();
        progress("starting the saturated stack: %d slots, %d ms per call; logs in %s", slots, callTime.toMillis(), out);
        try (PacedHost hostA = new PacedHost(callTime, pace);
             PacedHost hostB = new PacedHost(callTime, pace);
             SaturationStack stack = SaturationStack.start(settings, slots, hostA, out);
             SaturatedClient client = new SaturatedClient(stack.gatewayUrl(), SaturationStack.MODEL)) {
            final SaturationCases cases = new SaturationCases(stack, hostA, client, callTime, pace);
            final Warmup warmup = warmUp(cases, stack, slots, warmupCap);
            progress("cap and throughput: %d streams at once", 12 * slots);
            final SaturationCases.Throughput throughput = cases.throughput(12 * slots, true);
            progress("priorities: %d low, then %d high", 10 * slots, slots);
            final SaturationCases.Priorities priorities = cases.priorities(10 * slots, slots);
            progress("fairness: %d from one caller, %d from another", 20 * slots, 2 * slots);
            final SaturationCases.Fairness fairness = cases.fairness(20 * slots, 2 * slots);
            progress("kill: a second worker instance, %d requests, SIGKILL while it is saturated", 8 * slots);
            final SaturationCases.Kill kill = cases.kill(hostB, 8 * slots);
            final Report report = new Report(startedAt, machine, slots, callTime.toMillis(), pace.toMillis(),
                    throughput, priorities, fairness, kill, warmup);
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.resolve("saturated.json").toFile(), report);
            System.out.print(render(report));
            progress("results: %s", out.resolve("saturated.json"));
        }
    }

    /**
     * Rounds of the throughput case until the stack's compilers are quiet: C2 compiling beside the cases takes a
     * core from the collector's threads, whose young pauses then last 50-80 ms instead of a few, and every pause is
     * a gap in every running stream. At least three rounds; the cap bounds a machine on which C2 never settles.
     */
    private static Warmup warmUp(final SaturationCases cases, final SaturationStack stack, final int slots,
                                 final Duration cap) throws InterruptedException {
        final long start = System.nanoTime();
        final JitActivity jit = new JitActivity(Map.of("stack", stack.pid()));
        int rounds = 0;
        double jitCores;
        boolean settled;
        do {
            final SaturationCases.Throughput warm = cases.throughput(6 * slots, false);
            rounds++;
            jitCores = JitActivity.busiest(jit.coresSinceLast());
            settled = jitCores <= JitWarmup.MAX_JIT_CORES;
            progress("warm-up round %d: ratio %.3f, added gap p99 %.1f ms (over the pace %.1f), JIT %.2f cores",
                    rounds, warm.ratio(), warm.addedGapMs().p99(), warm.overPaceMs().p99(), jitCores);
        } while (rounds < 3 || !settled && System.nanoTime() - start < cap.toNanos());
        final double seconds = (System.nanoTime() - start) / 1e9;
        progress("warm-up: %d rounds in %.0f s, %s", rounds, seconds, settled ? "the JIT settled"
                : "NOT settled: the compilers still used " + String.format(Locale.ROOT, "%.2f", jitCores) + " cores");
        return new Warmup(rounds, seconds, settled, jitCores);
    }

    static String render(final Report r) {
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%nllmgw bench --saturated, %s on %s (%d cpus), load average at start"
                + " %.2f; %d slots, %d ms per call, a chunk every %d ms%n", r.startedAt(), r.machine().host(),
                r.machine().cpus(), r.machine().loadAverage(), r.slots(), r.callMs(), r.paceMs()));
        text.append(String.format(Locale.ROOT, "  warm-up: %d rounds, %.0f s, %s%n", r.warmup().rounds(),
                r.warmup().seconds(), r.warmup().settled() ? "JIT settled" : String.format(Locale.ROOT,
                        "NOT SETTLED (compilers at %.2f cores): read the gaps as a JVM still compiling",
                        r.warmup().jitCores())));
        text.append(String.format(Locale.ROOT, "  %-52s %-22s %s%n", "case", "measured", "target"));
        final SaturationCases.Throughput t = r.throughput();
        row(text, "throughput / (slots / call time), " + t.calls() + " streams", fmt("%.3f", t.ratio()), ">= 0.95",
                t.ratio() >= 0.95);
        row(text, "most calls the host saw open at once", Integer.toString(t.hostMaxOpen()), "<= " + t.slots(),
                t.hostMaxOpen() <= t.slots());
        row(text, "added inter-chunk delay of running streams, p99 ms", fmt("%.1f", t.addedGapMs().p99())
                + fmt(" (max %.0f)", t.addedGapMs().max()), "<= 20", t.addedGapMs().p99() <= 20);
        row(text, "  (gaps over the nominal pace, host's lateness in, p99 ms)", fmt("%.1f", t.overPaceMs().p99())
                + fmt(" (max %.0f)", t.overPaceMs().max()), "", true);
        if (t.late() != null) {
            row(text, fmt("  (gaps that added > %.0f ms: grew before / after the worker's send)", t.late().lateMs()),
                    String.format(Locale.ROOT, "%d: %d / %d", t.late().traced(), t.late().beforeSend(),
                            t.late().afterSend()), "", true);
        }
        final SaturationCases.Priorities p = r.priorities();
        row(text, "high after " + p.flood() + " low: queue wait max ms", fmt("%.0f", p.highWaitMs().max())
                + fmt(" (p50 %.0f)", p.highWaitMs().p50()), fmt("<= %.0f", p.boundMs()),
                p.highWaitMs().max() <= p.boundMs());
        row(text, "  (FIFO would have waited about, ms)", fmt("%.0f", p.floodLastStartMs()), "", true);
        final SaturationCases.Fairness f = r.fairness();
        row(text, "small caller's share of starts at " + f.bigCalls() + ":" + f.smallCalls(), fmt("%.1f%%",
                f.smallShare() * 100) + " (" + f.smallStarts() + "/" + f.windowStarts() + ")", ">= 45%",
                f.smallShare() >= 0.45);
        final SaturationCases.Kill k = r.kill();
        row(text, "kill -9 of one of two saturated workers: first re-run ms", Long.toString(k.firstRerunMs())
                + " (" + k.rerun() + " re-run)", "<= 10000", k.firstRerunMs() >= 0 && k.firstRerunMs() <= 10_000);
        row(text, "  requests lost or failed, of " + k.calls(), Integer.toString(k.lost()), "0", k.lost() == 0);
        row(text, "  most calls open at once, survivor / killed", k.hostMaxOpenA() + " / " + k.hostMaxOpenB(),
                "<= " + r.slots(), k.hostMaxOpenA() <= r.slots() && k.hostMaxOpenB() <= r.slots());
        final int failed = t.failed() + p.failed() + f.failed();
        row(text, "failed calls in the other cases", Integer.toString(failed), "0", failed == 0);
        return text.toString();
    }

    private static void row(final StringBuilder text, final String name, final String measured, final String target,
                            final boolean met) {
        text.append(String.format(Locale.ROOT, "  %-52s %-22s %-9s %s%n", name, measured, target,
                target.isEmpty() ? "" : met ? "met" : "MISSED"));
    }

    private static String fmt(final String format, final double value) {
        return String.format(Locale.ROOT, format, value);
    }

    private static String option(final List<String> args, final String name, final String fallback) {
        final int at = args.indexOf(name);
        if (at < 0) {
            return fallback;
        }
        if (at + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args.get(at + 1);
    }

    private static void progress(final String format, final Object... values) {
        System.out.printf(Locale.ROOT, "[saturated] " + format + "%n", values);
    }
}
