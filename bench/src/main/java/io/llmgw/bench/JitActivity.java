package io.llmgw.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * How busy the JIT compilers of the measured JVMs are: the HotSpot counter {@code java.ci.totalTime} (time spent
 * compiling, all compiler threads) read with {@code jcmd <pid> PerfCounter.print} before and after a window. A
 * latency that has stopped falling may still hide C2 at work on another path; a warm-up counts as settled only when
 * the compilers have gone quiet too, and the report says how busy they still were.
 *
 * <p>Threading: used by the bench's main thread only.
 */
final class JitActivity {

    private static final String COUNTER = "java.ci.totalTime=";
    private static final String FREQUENCY = "sun.os.hrt.frequency=";

    private final Map<String, Long> pids;
    private Map<String, Long> lastNanos;
    private long lastAtNanos;

    JitActivity(final Map<String, Long> pids) {
        this.pids = new LinkedHashMap<>(pids);
        this.lastNanos = compileNanos();
        this.lastAtNanos = System.nanoTime();
    }

    /**
     * Cores each JVM spent compiling since the last call (or since this object was made): compile time over wall
     * time. A JVM whose counters cannot be read (it left, or {@code jcmd} is missing) is left out.
     */
    Map<String, Double> coresSinceLast() {
        final Map<String, Long> now = compileNanos();
        final long at = System.nanoTime();
        final double wall = Math.max(1, at - lastAtNanos);
        final Map<String, Double> cores = new LinkedHashMap<>();
        now.forEach((name, nanos) -> {
            final Long before = lastNanos.get(name);
            if (before != null) {
                cores.put(name, (nanos - before) / wall);
            }
        });
        lastNanos = now;
        lastAtNanos = at;
        return cores;
    }

    /** The busiest JVM's share of {@link #coresSinceLast}; 0 when none could be read. */
    static double busiest(final Map<String, Double> cores) {
        return cores.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    private Map<String, Long> compileNanos() {
        final Map<String, Long> nanos = new LinkedHashMap<>();
        pids.forEach((name, pid) -> compileNanos(pid).ifPresent(value -> nanos.put(name, value)));
        return nanos;
    }

    private static OptionalLong compileNanos(final long pid) {
        final Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            final Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "PerfCounter.print")
                    .redirectErrorStream(true).start();
            final String out;
            try (InputStream in = process.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                return OptionalLong.empty();
            }
            return parse(out);
        } catch (final IOException e) {
            return OptionalLong.empty();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }

    /** Compile time in nanoseconds from {@code PerfCounter.print} output (ticks of the high-resolution timer). */
    static OptionalLong parse(final String perfCounters) {
        long ticks = -1;
        long frequency = -1;
        for (final String line : perfCounters.split("\n")) {
            if (line.startsWith(COUNTER)) {
                ticks = Long.parseLong(line.substring(COUNTER.length()).trim());
            } else if (line.startsWith(FREQUENCY)) {
                frequency = Long.parseLong(line.substring(FREQUENCY.length()).trim());
            }
        }
        if (ticks < 0 || frequency <= 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of((long) (ticks * (1e9 / frequency)));
    }
}
