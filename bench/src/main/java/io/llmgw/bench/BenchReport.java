package io.llmgw.bench;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything one run measured, as written to {@code results.json} (latencies in milliseconds, rates per second,
 * memory in bytes) and printed by {@link ResultTable}.
 *
 * @param startedAt   when the run started (ISO-8601)
 * @param machine     where it ran
 * @param options     the options it ran with
 * @param fixedRates  the non-streaming steps, every path at every rate
 * @param comparisons gateway against direct and floor, per rate
 * @param hops        the gateway path's latency hop by hop, at one rate
 * @param maxRate     the search for the highest sustained rate; null when skipped
 * @param peerMaxRate the same search on the peer ({@link PortkeyPeer}); null when skipped
 * @param directMaxRate the same search on the direct path: how far the load generator and host stand-in go alone
 * @param peerSkipped why the peer was not measured, or null
 * @param streaming   the streaming case per path
 * @param memory      the gateway with requests waiting
 * @param profiles    the recordings and their summaries; empty without {@code --profile}
 *
 * <p>Absent parts are nulls rather than {@code Optional}s: the project's JSON mapper omits nulls and has no module
 * for {@code Optional}.
 */
record BenchReport(String startedAt, Machine machine, Map<String, Object> options, List<PathStep> fixedRates,
                   List<Comparison> comparisons, HopBreakdown hops, MaxRate maxRate, MaxRate peerMaxRate,
                   MaxRate directMaxRate, String peerSkipped, List<StreamCase> streaming,
                   WaitingMemory.Result memory, List<ProfileSummary> profiles) {

    static final String DIRECT = "direct";
    static final String FLOOR = "floor";
    static final String GATEWAY = "gateway";
    static final String PEER = PortkeyPeer.NAME;

    /**
     * The machine and JVM.
     *
     * @param host            host name
     * @param cpus            processors the JVM sees
     * @param os              name, version and architecture
     * @param jvm             vendor and version of the JDK running the benchmark and its children
     * @param memoryBytes     physical memory, when known
     * @param loadAverage     the system load average (1 min) when the run started: other work skews the numbers
     */
    record Machine(String host, int cpus, String os, String jvm, long memoryBytes, double loadAverage) {

        static Machine current() {
            final var os = ManagementFactory.getOperatingSystemMXBean();
            final long memory = os instanceof com.sun.management.OperatingSystemMXBean sun
                    ? sun.getTotalMemorySize() : -1;
            return new Machine(hostName(), Runtime.getRuntime().availableProcessors(),
                    os.getName() + " " + os.getVersion() + " " + os.getArch(),
                    System.getProperty("java.vm.vendor") + " " + Runtime.version(), memory,
                    os.getSystemLoadAverage());
        }

        private static String hostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (final UnknownHostException e) {
                return "unknown";
            }
        }
    }

    /**
     * One fixed-rate step of one path.
     *
     * @param path  {@value #DIRECT}, {@value #FLOOR} or {@value #GATEWAY}
     * @param load  what the load generator measured
     * @param cpu   what each process spent
     */
    record PathStep(String path, OpenLoop.Result load, CpuMeter.Usage cpu) {
    }

    /**
     * The gateway beside the two floors at one rate: ratios of the gateway's percentiles to theirs, and the latency
     * it adds over calling the simulator directly.
     */
    record Comparison(double rate, double gatewayToDirectP50, double gatewayToDirectP99, double gatewayToFloorP50,
                      double gatewayToFloorP99, double addedOverDirectP50Ms, double addedOverDirectP99Ms) {

        static List<Comparison> of(final List<PathStep> steps) {
            final List<Comparison> comparisons = new ArrayList<>();
            for (final PathStep gateway : steps) {
                if (!gateway.path().equals(GATEWAY)) {
                    continue;
                }
                final double rate = gateway.load().targetRate();
                final LatencyStats gw = gateway.load().latency();
                final LatencyStats direct = find(steps, DIRECT, rate);
                final LatencyStats floor = find(steps, FLOOR, rate);
                comparisons.add(new Comparison(rate, gw.p50() / direct.p50(), gw.p99() / direct.p99(),
                        gw.p50() / floor.p50(), gw.p99() / floor.p99(), gw.p50() - direct.p50(),
                        gw.p99() - direct.p99()));
            }
            return comparisons;
        }

        private static LatencyStats find(final List<PathStep> steps, final String path, final double rate) {
            return steps.stream().filter(s -> s.path().equals(path) && s.load().targetRate() == rate)
                    .map(s -> s.load().latency()).findFirst().orElse(LatencyStats.empty());
        }
    }

    /**
     * The gateway path hop by hop ({@link HopTrace}), beside the floor's hop (a third of its round trip).
     *
     * @param rate  the step's rate
     * @param step  the step itself
     * @param hops  latency per hop, in path order
     */
    record HopBreakdown(double rate, PathStep step, Map<String, LatencyStats> hops) {
    }

    /**
     * The search for the gateway's highest sustained rate.
     *
     * @param p99BoundMs       the p99 a passing step stays under
     * @param maxErrorRatio    the share of errors a passing step stays under
     * @param sustainedRate    the highest passing rate; null when none passed
     * @param trials           every step, in the order run
     */
    record MaxRate(double p99BoundMs, double maxErrorRatio, Double sustainedRate, List<PathStep> trials) {
    }

    /**
     * The streaming case on one path.
     *
     * @param path            {@value #DIRECT} or {@value #GATEWAY}
     * @param streams         concurrent streams
     * @param tokensPerSecond pace of each
     * @param tokensPerStream content chunks of each
     * @param result          what it measured
     * @param addedGapP99Ms   p99 gap minus the simulator's pace
     * @param cpu             what each process spent
     */
    record StreamCase(String path, int streams, double tokensPerSecond, int tokensPerStream, StreamLoad.Result result,
                      double addedGapP99Ms, CpuMeter.Usage cpu) {
    }

    /**
     * The JFR recordings of one measured case, and where each process spent its CPU.
     *
     * @param name       what was measured while recording
     * @param step       the step, for a non-streaming case; null for a streaming one (it is in {@code streaming})
     * @param recordings files by process
     * @param hotspots   per process: CPU by part of the path, and the hottest methods
     */
    record ProfileSummary(String name, PathStep step, Map<String, String> recordings,
                          Map<String, JfrHotspots.Summary> hotspots) {
    }
}
