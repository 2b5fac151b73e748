package io.llmgw.bench;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The human-readable form of a {@link BenchReport}: fixed-width tables, one per case. */
final class ResultTable {

    /** The options' key of each path's warm-up outcome ({@code BenchCommand}). */
    static final String WARMUP_PREFIX = "warmupSettled.";
    private static final List<String> CPU_ROLES = List.of("gateway", "stack", "broker", "loadgen", "peer");

    private ResultTable() {
    }

    static String render(final BenchReport report) {
        final StringBuilder out = new StringBuilder();
        final BenchReport.Machine machine = report.machine();
        out.append(String.format(Locale.ROOT, "%nllmgw bench, %s on %s (%d cpus, %s, %s), load average at start %.2f%n",
                report.startedAt(), machine.host(), machine.cpus(), machine.os(), machine.jvm(),
                machine.loadAverage()));
        out.append("latencies in ms, from each request's intended start (open loop); cpu in cores used by each process"
                + " during the step (of " + machine.cpus() + ")\n");
        out.append(nonStreaming("non-streaming at fixed rates", report.fixedRates()));
        out.append(unsettled(report.options()));
        out.append(comparisons(report.comparisons()));
        if (report.hops() != null) {
            out.append(hops(report.hops(), report.fixedRates()));
        }
        final String bounds = report.maxRate() == null ? "" : String.format(Locale.ROOT,
                "p99 <= %.0f ms, errors <= %.1f%%", report.maxRate().p99BoundMs(),
                report.maxRate().maxErrorRatio() * 100);
        out.append(maxRate("highest sustained gateway rate (" + bounds + ")", report.maxRate()));
        out.append(maxRate("highest sustained rate of the peer (" + PortkeyPeer.PACKAGE + "), same bounds",
                report.peerMaxRate()));
        out.append(maxRate("highest sustained rate of the direct path, same bounds", report.directMaxRate()));
        out.append(sustainedRatios(report.maxRate(), report.peerMaxRate(), report.directMaxRate()));
        if (report.peerSkipped() != null) {
            out.append("peer not measured: ").append(report.peerSkipped()).append('\n');
        }
        if (!report.streaming().isEmpty()) {
            out.append(streaming(report.streaming()));
        }
        if (report.memory() != null) {
            out.append(memory(report.memory()));
        }
        report.profiles().forEach(profile -> out.append(profile(profile)));
        return out.toString();
    }

    static String nonStreaming(final String title, final List<BenchReport.PathStep> steps) {
        final StringBuilder out = new StringBuilder(String.format("%n== %s ==%n", title));
        out.append(String.format(Locale.ROOT, "%-8s %7s %9s %8s %6s %8s %8s %8s %8s   %s%n", "path", "rate/s",
                "achieved", "ok", "errors", "p50", "p90", "p99", "max", "cpu gateway/stack/broker/loadgen/peer"));
        for (final BenchReport.PathStep step : steps) {
            final OpenLoop.Result load = step.load();
            out.append(String.format(Locale.ROOT, "%-8s %7.0f %9.1f %8d %6d %8.2f %8.2f %8.2f %8.2f   %s%s%n",
                    step.path(), load.targetRate(), load.achievedRate(), load.ok(), load.errors(),
                    load.latency().p50(), load.latency().p90(), load.latency().p99(), load.latency().max(),
                    cpu(step.cpu()), errorKinds(load.errorKinds())));
        }
        return out.toString();
    }

    private static String maxRate(final String title, final BenchReport.MaxRate max) {
        if (max == null) {
            return "";
        }
        return nonStreaming(title, max.trials()) + (max.sustainedRate() == null ? "  no rate passed\n"
                : String.format(Locale.ROOT, "  sustained: %.0f requests/s%n", max.sustainedRate()));
    }

    /** The gateway's sustained rate against the peer's and direct's (issue 14's targets: 2x and a quarter). */
    static String sustainedRatios(final BenchReport.MaxRate gateway, final BenchReport.MaxRate peer,
                                  final BenchReport.MaxRate direct) {
        if (gateway == null || gateway.sustainedRate() == null) {
            return "";
        }
        final StringBuilder out = new StringBuilder();
        if (peer != null && peer.sustainedRate() != null) {
            out.append(String.format(Locale.ROOT, "  gateway / peer sustained: %.2f%n",
                    gateway.sustainedRate() / peer.sustainedRate()));
        }
        if (direct != null && direct.sustainedRate() != null) {
            out.append(String.format(Locale.ROOT, "  gateway / direct sustained: %.2f%n",
                    gateway.sustainedRate() / direct.sustainedRate()));
        }
        return out.toString();
    }

    /**
     * A warning under the fixed rates for every path whose warm-up reached its cap unsettled: its figures are a JVM's
     * still warming, and printing them bare told quick-run users the gateway was hundreds of times slower than direct.
     */
    static String unsettled(final Map<String, Object> options) {
        final StringBuilder out = new StringBuilder();
        options.forEach((name, value) -> {
            if (name.startsWith(WARMUP_PREFIX) && value instanceof Map<?, ?> warmup
                    && Boolean.FALSE.equals(warmup.get("settled"))) {
                // either half of the rule can fail: the compilers still busy, or medians still moving once they rest
                out.append(String.format(Locale.ROOT, "NOT SETTLED: %s did not settle in its %.0f s warm-up (its"
                                + " compilers busy or its window medians still moving: see its warm-up line); read its"
                                + " rows as a JVM still warming, not the product's speed (BENCHMARKS.md)%n",
                        name.substring(WARMUP_PREFIX.length()),
                        ((Number) warmup.get("seconds")).doubleValue()));
            }
        });
        return out.toString();
    }

    private static String comparisons(final List<BenchReport.Comparison> comparisons) {
        final StringBuilder out = new StringBuilder(String.format("%n== gateway beside direct and floor ==%n"));
        out.append(String.format(Locale.ROOT, "%7s %15s %15s %15s %15s %13s %13s%n", "rate/s", "gw/direct p50",
                "gw/direct p99", "gw/floor p50", "gw/floor p99", "added p50 ms", "added p99 ms"));
        for (final BenchReport.Comparison c : comparisons) {
            out.append(String.format(Locale.ROOT, "%7.0f %15.2f %15.2f %15.2f %15.2f %13.2f %13.2f%n", c.rate(),
                    c.gatewayToDirectP50(), c.gatewayToDirectP99(), c.gatewayToFloorP50(), c.gatewayToFloorP99(),
                    c.addedOverDirectP50Ms(), c.addedOverDirectP99Ms()));
        }
        return out.toString();
    }

    private static String hops(final BenchReport.HopBreakdown hops, final List<BenchReport.PathStep> fixed) {
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%n== the gateway path hop by hop at %.0f requests/s (each hop includes one Kafka fetch) ==%n",
                hops.rate()));
        out.append(String.format(Locale.ROOT, "%-14s %8s %8s %8s %8s%n", "hop", "p50", "p90", "p99", "max"));
        hops.hops().forEach((hop, l) -> out.append(String.format(Locale.ROOT, "%-14s %8.2f %8.2f %8.2f %8.2f%n",
                hop, l.p50(), l.p90(), l.p99(), l.max())));
        final LatencyStats end = hops.step().load().latency();
        out.append(String.format(Locale.ROOT, "%-14s %8.2f %8.2f %8.2f %8.2f%n", "end to end", end.p50(), end.p90(),
                end.p99(), end.max()));
        fixed.stream().filter(step -> step.path().equals(BenchReport.FLOOR))
                .min(Comparator.comparingDouble(step -> Math.abs(step.load().targetRate() - hops.rate())))
                .ifPresent(floor ->
                out.append(String.format(Locale.ROOT, "%-14s %8.2f %8.2f %8.2f %8.2f   (a third of the floor's"
                                + " round trip at %.0f/s)%n", "floor, per hop", floor.load().latency().p50() / 3,
                        floor.load().latency().p90() / 3, floor.load().latency().p99() / 3,
                        floor.load().latency().max() / 3, floor.load().targetRate())));
        return out.toString();
    }

    private static String streaming(final List<BenchReport.StreamCase> cases) {
        final BenchReport.StreamCase first = cases.getFirst();
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%n== streaming: N concurrent streams, %.0f tokens/s each, %d tokens (gap = time between chunks,"
                        + " nominal %.0f ms) ==%n", first.tokensPerSecond(), first.tokensPerStream(),
                first.result().nominalGapMs()));
        out.append(String.format(Locale.ROOT, "%-8s %7s %6s %6s %9s %9s %8s %8s %8s %10s %6s %5s %7s %6s   %s%n",
                "path", "streams", "ok", "failed", "ttft p50", "ttft p99", "gap p50", "gap p99", "gap max",
                "added p99", "lost", "dup", "reorder", "alien", "cpu gateway/stack/broker/loadgen/peer"));
        for (final BenchReport.StreamCase c : cases) {
            final StreamLoad.Result r = c.result();
            final long failed = r.failures().values().stream().mapToLong(Long::longValue).sum();
            out.append(String.format(Locale.ROOT,
                    "%-8s %7d %6d %6d %9.2f %9.2f %8.2f %8.2f %8.2f %10.2f %6d %5d %7d %6d   %s%s%n", c.path(),
                    c.streams(), r.completed(), failed, r.ttft().p50(), r.ttft().p99(), r.gap().p50(),
                    r.gap().p99(), r.gap().max(), c.addedGapP99Ms(), r.chunks().lost(), r.chunks().duplicated(),
                    r.chunks().reordered(), r.chunks().unexpected(), cpu(c.cpu()), errorKinds(r.failures())));
        }
        return out.toString();
    }

    private static String memory(final WaitingMemory.Result m) {
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT, """

                == gateway memory with %d requests waiting (%d counted pending when measured) ==
                heap after GC   idle %8.1f MB   waiting %8.1f MB   per waiting request %6.1f KB
                RSS             idle %8.1f MB   waiting %8.1f MB
                the held requests: %d ok, %d errors%s
                what grew, bytes per waiting request (gateway-heap-idle.txt, gateway-heap-waiting.txt):
                """, m.waiting(), m.pendingAtMeasure(), mb(m.idle().used()), mb(m.loaded().used()),
                m.heapBytesPerWaitingRequest() / 1024, mb(m.idle().rss()), mb(m.loaded().rss()),
                m.requests().ok(), m.requests().errors(), errorKinds(m.requests().errorKinds())));
        m.growthPerWaitingRequest().forEach((type, bytes) ->
                out.append(String.format(Locale.ROOT, "  %9.0f  %s%n", bytes, type)));
        return out.toString();
    }

    private static String profile(final BenchReport.ProfileSummary profile) {
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%n== JFR profile, %s: where each process spends its CPU ==%n", profile.name()));
        if (profile.step() != null) {
            out.append(nonStreaming("the profiled step", List.of(profile.step())).stripLeading());
        }
        out.append("CPU in percent of the whole machine (all cores), from JFR's thread CPU loads\n");
        profile.hotspots().forEach((role, summary) -> {
            out.append(String.format(Locale.ROOT, "%s: %.1f%% of the machine (machine total %.1f%%), %s%n", role,
                    summary.processCpuPercent(), summary.machineCpuPercent(), profile.recordings().get(role)));
            summary.cpuByPart().forEach((part, percent) ->
                    out.append(String.format(Locale.ROOT, "  %5.1f%%  %s%n", percent, part)));
            out.append(String.format(Locale.ROOT, "  hottest methods (%d samples of Java code):%n", summary.samples()));
            summary.hotMethods().forEach(method -> out.append("    ").append(method).append('\n'));
        });
        return out.toString();
    }

    private static String cpu(final CpuMeter.Usage usage) {
        return CPU_ROLES.stream()
                .map(role -> usage.coresUsed().containsKey(role)
                        ? String.format(Locale.ROOT, "%.2f", usage.coresUsed().get(role)) : "-")
                .collect(Collectors.joining("/"));
    }

    private static String errorKinds(final Map<String, Long> kinds) {
        return kinds.isEmpty() ? "" : "   errors: " + kinds;
    }

    private static double mb(final long bytes) {
        return bytes < 0 ? Double.NaN : bytes / (1024.0 * 1024.0);
    }
}
