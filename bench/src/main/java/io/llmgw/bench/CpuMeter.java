package io.llmgw.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time each of the benchmark's processes spends during one step: the cheapest answer to "where does the time
 * go", process by process (gateway, stack, broker, load generator).
 */
final class CpuMeter {

    /**
     * What a step cost.
     *
     * @param coresUsed         CPU seconds per wall-clock second, per process
     * @param microsPerRequest  CPU microseconds per operation sent, per process
     */
    record Usage(Map<String, Double> coresUsed, Map<String, Double> microsPerRequest) {

        Usage {
            coresUsed = Map.copyOf(coresUsed);
            microsPerRequest = Map.copyOf(microsPerRequest);
        }
    }

    private final Map<String, Long> pids;
    private final Map<String, Duration> before = new LinkedHashMap<>();
    private final long startNanos;

    private CpuMeter(final Map<String, Long> pids) {
        this.pids = Map.copyOf(pids);
        pids.forEach((role, pid) -> NodeProcess.cpu(pid).ifPresent(cpu -> before.put(role, cpu)));
        this.startNanos = System.nanoTime();
    }

    static CpuMeter start(final Map<String, Long> pids) {
        return new CpuMeter(pids);
    }

    /** The usage since {@link #start}, with {@code operations} operations sent meanwhile. */
    Usage stop(final long operations) {
        final double wallSeconds = (System.nanoTime() - startNanos) / 1e9;
        final Map<String, Double> cores = new LinkedHashMap<>();
        final Map<String, Double> perRequest = new LinkedHashMap<>();
        before.forEach((role, start) -> NodeProcess.cpu(pids.get(role)).ifPresent(end -> {
            final double cpuSeconds = end.minus(start).toNanos() / 1e9;
            cores.put(role, cpuSeconds / wallSeconds);
            perRequest.put(role, operations == 0 ? 0 : cpuSeconds * 1e6 / operations);
        }));
        return new Usage(cores, perRequest);
    }
}
