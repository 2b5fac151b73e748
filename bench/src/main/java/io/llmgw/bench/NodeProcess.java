package io.llmgw.bench;

import io.llmgw.app.broker.BrokerLib;
import io.llmgw.runtime.JavaOptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BenchNode} child JVM seen from the benchmark: started with the same JDK and classpath as this one, its
 * output copied to a log file, its protocol lines answered through {@link #command}, stopped by closing its stdin.
 */
final class NodeProcess implements AutoCloseable {

    /** Extra options of the node JVMs: this system property, else {@link #JAVA_OPTS_ENV}. */
    static final String JAVA_OPTS_PROPERTY = "llmgw.bench.node.java.opts";
    static final String JAVA_OPTS_ENV = "BENCH_NODE_JAVA_OPTS";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final String role;
    private final Process process;
    private final PrintWriter commands;
    private final Path log;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private Map<String, String> ready = Map.of();

    private NodeProcess(final String role, final Process process, final Path log) throws IOException {
        this.role = role;
        this.process = process;
        this.log = log;
        this.commands = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
        final Writer logWriter = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
        Thread.ofPlatform().name("bench-" + role + "-output").daemon().start(() -> copyOutput(logWriter));
    }

    /**
     * Starts {@code BenchNode <role>} with exactly {@code environment}; returns at once (see {@link #awaitReady}).
     *
     * @param heap the child's heap ({@code -Xms} and {@code -Xmx})
     * @param log  where its output goes
     */
    static NodeProcess launch(final String role, final Map<String, String> environment, final String heap,
                              final Path log) throws IOException {
        final ProcessBuilder builder = new ProcessBuilder(command(role, heap)).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(environment);
        builder.directory(log.getParent().toFile());
        final Process process = builder.start();
        try {
            return new NodeProcess(role, process, log);
        } catch (final IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private static List<String> command(final String role, final String heap) {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // fixed and touched, as a deployment would run it: left to size itself G1 kept the stack node near 100-200
        // MB and paused every 3-6 s, and each pause is a gap in every running stream
        command.add("-Xms" + heap);
        command.add("-Xmx" + heap);
        command.add("-XX:+AlwaysPreTouch");
        command.addAll(JavaOptions.GC);
        command.addAll(JavaOptions.of(JAVA_OPTS_PROPERTY, JAVA_OPTS_ENV));
        // a broker's options set for this JVM reach the broker the stack node starts
        Optional.ofNullable(System.getProperty(JavaOptions.BROKER_PROPERTY))
                .ifPresent(options -> command.add("-D" + JavaOptions.BROKER_PROPERTY + "=" + options));
        if (Runtime.version().feature() >= 24) {
            // as ./llmgw does: RocksDB and kafka-clients warn without these on 24+, and JDK 21 rejects the second
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        // located here, where the working directory is the caller's: the node runs in the results directory
        command.add("-D" + BrokerLib.PROPERTY + "=" + BrokerLib.locate().toAbsolutePath());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BenchNode.class.getName());
        command.add(role);
        return command;
    }

    /** The key=value pairs of the READY line ({@code gateway}, {@code simulator}, {@code bootstrap}, ...). */
    String ready(final String key) {
        final String value = ready.get(key);
        if (value == null) {
            throw new IllegalStateException("the " + role + " node did not report " + key + ": " + ready);
        }
        return value;
    }

    long pid() {
        return process.pid();
    }

    /** The processes this one started (the stack's broker). */
    List<ProcessHandle> children() {
        return process.children().toList();
    }

    /** Sends one command and returns the reply line without the prefix; throws on ERROR or silence. */
    String command(final String line, final Duration timeout) throws InterruptedException {
        replies.clear();
        commands.println(line);
        final String reply = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (reply == null) {
            throw new IllegalStateException("the " + role + " node did not answer '" + line + "' within " + timeout);
        }
        if (reply.startsWith("ERROR")) {
            throw new IllegalStateException("the " + role + " node failed '" + line + "': " + reply);
        }
        return reply;
    }

    /** Heap used and committed after a full GC, and the resident set, in bytes (RSS -1 when unknown). */
    record Heap(long used, long committed, long rss) {
    }

    Heap heapAfterGc() throws InterruptedException {
        final Map<String, String> values = pairs(command("heap", Duration.ofSeconds(60)));
        return new Heap(Long.parseLong(values.get("used")), Long.parseLong(values.get("committed")),
                Long.parseLong(values.get("rss")));
    }

    /** Writes the node's class histogram (live objects, after a full GC) to {@code file} and reads it back. */
    HeapHistogram histogram(final Path file) throws InterruptedException, IOException {
        command("histogram " + file.toAbsolutePath(), Duration.ofSeconds(60));
        return HeapHistogram.parse(Files.readString(file));
    }

    /** SIGKILL, as a crash: no shutdown hook runs, nothing is closed politely. Returns once the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() {
        commands.close(); // end of input: the node stops its part and exits
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** Waits for the node's READY line; throws with the node's log file named when it fails or exits first. */
    void awaitReady(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            final String line = replies.poll(200, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith("READY")) {
                ready = pairs(line);
                return;
            }
            if (line != null && line.startsWith("FAILED")) {
                throw new IllegalStateException("the " + role + " node failed to start: " + line.substring(6).strip()
                        + " (see " + log + ")");
            }
            if (line == null && !process.isAlive()) {
                throw new IllegalStateException("the " + role + " node exited with code " + process.exitValue()
                        + " before it was ready (see " + log + ")");
            }
        }
        throw new IllegalStateException("the " + role + " node was not ready within " + timeout + " (see " + log + ")");
    }

    private void copyOutput(final Writer log) {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)); log) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith(BenchNode.PREFIX)) {
                    replies.add(line.substring(BenchNode.PREFIX.length()));
                }
                log.write(line);
                log.write('\n');
                log.flush();
            }
        } catch (final IOException e) {
            // the node is gone; its exit shows up where it matters (awaitReady, command)
        }
    }

    static Map<String, String> pairs(final String line) {
        final Map<String, String> values = new HashMap<>();
        for (final String word : line.split("\\s+")) {
            final int eq = word.indexOf('=');
            if (eq > 0) {
                values.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return values;
    }

    /** CPU time a process has used so far, when the platform tells. */
    static Optional<Duration> cpu(final long pid) {
        return ProcessHandle.of(pid).flatMap(handle -> handle.info().totalCpuDuration());
    }
}
