package io.llmgw.bench;

import io.llmgw.app.DevStack;
import io.llmgw.gateway.GatewayServer;
import io.llmgw.processors.ModelCatalog;
import io.llmgw.processors.ModelSpec;
import io.llmgw.processors.WorkerService;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import jdk.jfr.Recording;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The main class of the benchmark's child JVMs, so that the parts under test run in processes of their own, as in
 * production, and the load generator's work does not land in their heap, their GC or their profile:
 * <ul>
 *   <li>{@code stack}: {@code ./llmgw dev} ({@link DevStack}: embedded broker, simulator, router, worker, and an idle
 *       gateway), with the settings the parent puts in the environment;</li>
 *   <li>{@code gateway}: one {@link GatewayServer} against the stack's broker, the gateway under test;</li>
 *   <li>{@code worker}: one {@link WorkerService} for the first configured model, a second worker instance that the
 *       saturated cases can kill.</li>
 * </ul>
 * It reports on stdout with lines starting {@value #PREFIX} ({@code READY key=value ...}, {@code FAILED reason}) and
 * takes commands on stdin, one per line: {@code heap} (a full GC, then heap used, committed and RSS in bytes),
 * {@code histogram <file>} (live objects by class), {@code jfr-start <file>}, {@code jfr-stop}. It stops when stdin ends, so it never outlives the benchmark.
 */
public final class BenchNode {

    static final String PREFIX = "BENCH-NODE ";
    static final String STACK = "stack";
    static final String GATEWAY = "gateway";
    static final String WORKER = "worker";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private Recording recording;

    private BenchNode() {
    }

    public static void main(final String[] args) {
        final String role = args.length == 0 ? "" : args[0];
        final Settings settings = Settings.of(System.getenv());
        final AutoCloseable running;
        final String ready;
        try {
            switch (role) {
                case STACK -> {
                    final DevStack stack = DevStack.start(settings, DevStack.Options.defaults());
                    running = stack;
                    ready = "READY gateway=" + stack.gateway().port()
                            + " simulator=" + (stack.simulator() == null ? "none" : stack.simulator().baseUrl())
                            + " bootstrap=" + stack.settings().get(KafkaClientProps.BOOTSTRAP_SERVERS).orElseThrow()
                            + " models=" + String.join(",", stack.models().stream().map(ModelSpec::name).toList());
                }
                case GATEWAY -> {
                    final GatewayServer gateway = GatewayServer.start(settings);
                    running = gateway;
                    if (!gateway.awaitReady(READY_TIMEOUT)) {
                        gateway.close();
                        throw new IllegalStateException("the gateway was not ready within " + READY_TIMEOUT);
                    }
                    ready = "READY gateway=" + gateway.port();
                }
                case WORKER -> {
                    final ModelSpec model = ModelCatalog.load(settings).getFirst();
                    final WorkerService worker = WorkerService.start(settings, model);
                    running = worker;
                    if (!worker.awaitRunning(READY_TIMEOUT)) {
                        worker.close();
                        throw new IllegalStateException("the worker was not running within " + READY_TIMEOUT);
                    }
                    ready = "READY worker=" + model.name();
                }
                default -> throw new IllegalArgumentException("unknown role '" + role + "': stack, gateway or worker");
            }
        } catch (final Exception e) {
            reply("FAILED " + String.valueOf(e.getMessage()).replace('\n', ' '));
            System.exit(1);
            return;
        }
        reply(ready);
        new BenchNode().serve();
        try {
            running.close();
        } catch (final Exception e) {
            System.err.println("stopping the " + role + " failed: " + e);
        }
        System.exit(0);
    }

    /** Answers commands until stdin ends (the parent closed it, or died). */
    private void serve() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                reply(answer(line.strip()));
            }
        } catch (final IOException e) {
            // a broken pipe is the parent going away: stop like at the end of input
        }
        if (recording != null) {
            recording.close();
        }
    }

    private String answer(final String command) {
        final List<String> words = List.of(command.split("\\s+", 2));
        try {
            return switch (words.getFirst()) {
                case "heap" -> heap();
                case "jfr-start" -> startRecording(Path.of(words.get(1)));
                case "jfr-stop" -> stopRecording();
                case "histogram" -> histogram(Path.of(words.get(1)));
                default -> "ERROR unknown command: " + command;
            };
        } catch (final IOException | JMException | RuntimeException e) {
            return "ERROR " + e;
        }
    }

    /** The live objects by class (after a full GC), as {@code jcmd GC.class_histogram} prints them, into a file. */
    private static String histogram(final Path file) throws IOException, JMException {
        final Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        Files.writeString(file, String.valueOf(text));
        return "OK";
    }

    /** Heap after a full collection: what the live objects take, not what garbage happens to sit there. */
    private static String heap() {
        System.gc();
        final MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return "HEAP used=" + heap.getUsed() + " committed=" + heap.getCommitted() + " rss=" + residentBytes();
    }

    private String startRecording(final Path file) throws IOException {
        if (recording != null) {
            recording.close();
        }
        recording = Profiler.recording(file);
        recording.start();
        return "OK";
    }

    private String stopRecording() {
        if (recording == null) {
            return "ERROR no recording";
        }
        recording.stop(); // writes the destination file
        recording.close();
        recording = null;
        return "OK";
    }

    /** VmRSS from /proc (Linux); -1 elsewhere. */
    static long residentBytes() {
        final Path status = Path.of("/proc/self/status");
        try {
            for (final String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (final IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private static void reply(final String line) {
        System.out.println(PREFIX + line);
        System.out.flush();
    }
}
