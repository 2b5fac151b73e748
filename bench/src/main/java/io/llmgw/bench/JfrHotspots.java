package io.llmgw.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where one JFR recording's process spent its CPU, by part of the request path:
 * <ul>
 *   <li>{@code jdk.ThreadCPULoad} per thread (user + system, native code included), summed by part (router stream
 *       thread, producer I/O, virtual-thread carriers, JIT compiler, ...); what no Java thread accounts for of the
 *       process total ({@code jdk.CPULoad}) is the garbage collector and other VM threads;</li>
 *   <li>{@code jdk.ExecutionSample} shares by part, where virtual threads are told apart by the project package on
 *       their stack (gateway handlers or simulator), and the hottest methods (top frames).</li>
 * </ul>
 * CPU figures are percent of the whole machine (all cores), as JFR reports them.
 */
final class JfrHotspots {

    private static final String EXECUTION_SAMPLE = "jdk.ExecutionSample";
    private static final String THREAD_CPU_LOAD = "jdk.ThreadCPULoad";
    private static final String CPU_LOAD = "jdk.CPULoad";
    private static final int HOT_METHODS = 12;
    static final String GC_AND_VM = "GC and other VM threads";

    /**
     * One recording's summary.
     *
     * @param processCpuPercent average CPU of the process, percent of the machine
     * @param machineCpuPercent average CPU of the whole machine (other processes included)
     * @param cpuByPart         percent of the machine per part of the path, largest first
     * @param samples           execution samples (Java code only) in the recording
     * @param samplesByPart     percent of those samples per part, largest first
     * @param hotMethods        the methods most often on top of the stack, as "percent method"
     */
    record Summary(double processCpuPercent, double machineCpuPercent, Map<String, Double> cpuByPart, long samples,
                   Map<String, Double> samplesByPart, List<String> hotMethods) {

        Summary {
            cpuByPart = Collections.unmodifiableMap(new LinkedHashMap<>(cpuByPart));
            samplesByPart = Collections.unmodifiableMap(new LinkedHashMap<>(samplesByPart));
            hotMethods = List.copyOf(hotMethods);
        }
    }

    private JfrHotspots() {
    }

    static Summary summarize(final Path recording) throws IOException {
        final Map<String, Long> sampleParts = new HashMap<>();
        final Map<String, Long> methods = new HashMap<>();
        final Map<String, double[]> threadLoads = new HashMap<>(); // name -> {sum, count}
        double processLoad = 0;
        double machineLoad = 0;
        int loadEvents = 0;
        long samples = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                final RecordedEvent event = file.readEvent();
                switch (event.getEventType().getName()) {
                    case EXECUTION_SAMPLE -> {
                        samples++;
                        final RecordedStackTrace stack = event.getStackTrace();
                        final List<RecordedFrame> frames = stack == null ? List.of() : stack.getFrames();
                        sampleParts.merge(part(event.getThread("sampledThread"), frames), 1L, Long::sum);
                        if (!frames.isEmpty()) {
                            methods.merge(method(frames.getFirst()), 1L, Long::sum);
                        }
                    }
                    case THREAD_CPU_LOAD -> {
                        final double[] load = threadLoads.computeIfAbsent(threadName(event.getThread()),
                                name -> new double[2]);
                        load[0] += event.getFloat("user") + event.getFloat("system");
                        load[1]++;
                    }
                    case CPU_LOAD -> {
                        processLoad += event.getFloat("jvmUser") + event.getFloat("jvmSystem");
                        machineLoad += event.getFloat("machineTotal");
                        loadEvents++;
                    }
                    default -> {
                        // other events are for a human with JDK Mission Control
                    }
                }
            }
        }
        final double process = loadEvents == 0 ? Double.NaN : 100 * processLoad / loadEvents;
        final double machine = loadEvents == 0 ? Double.NaN : 100 * machineLoad / loadEvents;
        return new Summary(round(process), round(machine), cpuByPart(threadLoads, process), samples,
                shares(sampleParts, samples, Integer.MAX_VALUE), hot(methods, samples));
    }

    private static Map<String, Double> cpuByPart(final Map<String, double[]> threadLoads, final double process) {
        final Map<String, Double> parts = new HashMap<>();
        double threads = 0;
        for (final var entry : threadLoads.entrySet()) {
            final double percent = 100 * entry.getValue()[0] / entry.getValue()[1];
            parts.merge(part(entry.getKey(), List.of()), percent, Double::sum);
            threads += percent;
        }
        if (!Double.isNaN(process) && process > threads) {
            parts.put(GC_AND_VM, process - threads);
        }
        final Map<String, Double> sorted = new LinkedHashMap<>();
        parts.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
                .filter(entry -> entry.getValue() >= 0.05)
                .forEach(entry -> sorted.put(entry.getKey(), round(entry.getValue())));
        return sorted;
    }

    /** The part of the path a sample belongs to, from its thread's name or, for virtual threads, its stack. */
    private static String part(final RecordedThread thread, final List<RecordedFrame> frames) {
        return part(threadName(thread), frames.stream().map(frame -> frame.getMethod().getType().getName()).toList());
    }

    /** The part of the path a thread works for, from its name and, when given, the classes on its stack. */
    static String part(final String threadName, final List<String> frameClasses) {
        final String name = threadName.toLowerCase(Locale.ROOT);
        if (name.contains("streamthread")) {
            return name.contains("router") ? "router stream thread"
                    : name.contains("worker") ? "worker stream thread" : "streams thread";
        }
        if (name.startsWith("kafka-producer-network-thread")) {
            return "producer I/O: " + clientRole(name);
        }
        if (name.startsWith("llmgw-reply-consumer")) {
            return "gateway reply consumer";
        }
        if (name.startsWith("llmgw-upstream") || name.startsWith("okhttp")) {
            return "worker upstream calls (OkHttp)";
        }
        if (name.startsWith("llmgw-cancels")) {
            return "worker cancel listener";
        }
        if (name.startsWith("bench-floor")) {
            return "floor relays";
        }
        if (name.startsWith("bench-") || name.startsWith("httpclient")) {
            return "load generator";
        }
        if (name.contains("compilerthread")) {
            return "JIT compiler";
        }
        if (name.startsWith("jfr ")) {
            return "JFR itself";
        }
        if (name.contains("kafka-request-handler")) {
            return "broker request handlers";
        }
        if (name.contains("kafka-network-thread")) {
            return "broker network threads";
        }
        if (name.contains("raft") || name.contains("quorum") || name.contains("group-coordinator")) {
            return "broker coordinators";
        }
        final String byStack = partByStack(frameClasses);
        if (byStack != null) {
            return byStack;
        }
        if (name.isEmpty() || name.startsWith("forkjoinpool-") || name.equals("masterpoller")
                || name.startsWith("subpoller")) {
            return "virtual threads (HTTP: Jetty, handlers, client)";
        }
        return "other: " + name.replaceAll("[0-9]+", "#");
    }

    private static String partByStack(final List<String> frameClasses) {
        for (final String type : frameClasses) {
            if (type.startsWith("io.llmgw.gateway.")) {
                return "gateway HTTP handlers";
            }
            if (type.startsWith("io.llmgw.simulator.")) {
                return "simulator";
            }
        }
        for (final String type : frameClasses) {
            if (type.startsWith("org.eclipse.jetty.")) {
                return "Jetty (gateway or simulator)";
            }
            if (type.startsWith("jdk.internal.net.http.")) {
                return "load generator";
            }
        }
        return null;
    }

    private static String threadName(final RecordedThread thread) {
        return thread == null || thread.getJavaName() == null ? "" : thread.getJavaName();
    }

    private static String clientRole(final String name) {
        for (final String role : List.of("gateway", "router", "worker", "floor", "cancels")) {
            if (name.contains(role)) {
                return role;
            }
        }
        return "other";
    }

    private static String method(final RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static List<String> hot(final Map<String, Long> methods, final long samples) {
        final List<String> hot = new ArrayList<>();
        shares(methods, samples, HOT_METHODS).forEach((method, share) ->
                hot.add(String.format(Locale.ROOT, "%5.1f%% %s", share, method)));
        return hot;
    }

    private static Map<String, Double> shares(final Map<String, Long> counts, final long total, final int limit) {
        final Map<String, Double> shares = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .limit(limit)
                .forEach(entry -> shares.put(entry.getKey(), round(100.0 * entry.getValue() / total)));
        return shares;
    }

    private static double round(final double value) {
        return Math.round(value * 10) / 10.0;
    }
}
