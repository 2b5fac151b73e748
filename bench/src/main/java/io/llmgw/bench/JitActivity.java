package io.llmgw.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * How busy the JIT compilers of the measured JVMs are: the CPU time of their compiler threads ({@code C1 CompilerThre},
 * {@code C2 CompilerThre} in {@code /proc/<pid>/task/<tid>/stat}) before and after a window. CPU time, not HotSpot's
 * own compile-time counter: that one counts wall time per compilation and reads above one core on a busy machine. A
 * latency that has stopped falling may still hide C2 at work on another path; a warm-up counts as settled only when
 * the compilers have gone quiet too, and the report says how busy they still were.
 *
 * <p>Threading: used by the bench's main thread only.
 */
final class JitActivity {

    /** Linux's clock ticks per second for {@code utime}/{@code stime}: 100 on every kernel this runs on. */
    private static final double TICKS_PER_SECOND = 100;

    private final Map<String, Long> pids;
    private Map<String, Long> lastTicks;
    private long lastAtNanos;

    JitActivity(final Map<String, Long> pids) {
        this.pids = new LinkedHashMap<>(pids);
        this.lastTicks = compilerTicks();
        this.lastAtNanos = System.nanoTime();
    }

    /**
     * Cores each JVM's compiler threads used since the last call (or since this object was made). A JVM whose
     * threads cannot be read (it left, or there is no {@code /proc}) is left out; a compiler thread that ended takes
     * its time with it, so a negative difference counts as 0.
     */
    Map<String, Double> coresSinceLast() {
        final Map<String, Long> now = compilerTicks();
        final long at = System.nanoTime();
        final double wallSeconds = Math.max(1, at - lastAtNanos) / 1e9;
        final Map<String, Double> cores = new LinkedHashMap<>();
        now.forEach((name, ticks) -> {
            final Long before = lastTicks.get(name);
            if (before != null) {
                cores.put(name, Math.max(0, ticks - before) / TICKS_PER_SECOND / wallSeconds);
            }
        });
        lastTicks = now;
        lastAtNanos = at;
        return cores;
    }

    /** Cores each JVM's compilers used, as "name cores, ..." for the warm-up lines. */
    static String describe(final Map<String, Double> cores) {
        if (cores.isEmpty()) {
            return "not readable";
        }
        final List<String> parts = new ArrayList<>();
        cores.forEach((name, value) -> parts.add(String.format(Locale.ROOT, "%s %.3f", name, value)));
        return String.join(", ", parts);
    }

    /** The busiest JVM's share of {@link #coresSinceLast}; 0 when none could be read. */
    static double busiest(final Map<String, Double> cores) {
        return cores.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    private Map<String, Long> compilerTicks() {
        final Map<String, Long> ticks = new LinkedHashMap<>();
        pids.forEach((name, pid) -> compilerTicks(pid).ifPresent(value -> ticks.put(name, value)));
        return ticks;
    }

    private static OptionalLong compilerTicks(final long pid) {
        final Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return OptionalLong.empty();
        }
        long sum = 0;
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
            for (final Path thread : threads) {
                try {
                    sum += compilerTicksOf(Files.readString(thread.resolve("stat")));
                } catch (final IOException e) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (final IOException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(sum);
    }

    /** utime + stime of one {@code stat} line when its thread is a JIT compiler thread, else 0. */
    static long compilerTicksOf(final String stat) {
        final int open = stat.indexOf('(');
        final int close = stat.lastIndexOf(')');
        if (open < 0 || close < open) {
            return 0;
        }
        final String name = stat.substring(open + 1, close);
        if (!name.startsWith("C1 Compiler") && !name.startsWith("C2 Compiler")) {
            return 0;
        }
        // after ") ": state is field 3; utime and stime are fields 14 and 15 of the whole line
        final String[] fields = stat.substring(close + 2).trim().split("\\s+");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
