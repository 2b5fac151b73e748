package io.llmgw.app.broker;

import io.llmgw.broker.KafkaBrokerMain;
import io.llmgw.runtime.JavaOptions;
import org.slf4j.Logger;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One broker child JVM ({@code io.llmgw.broker.KafkaBrokerMain}) of a {@link EmbeddedKafkaCluster}: the process, the
 * thread that reads its output, and the two ways to end it. Stdin stays a pipe held by this JVM, so the child also
 * stops when this JVM dies in any way.
 *
 * <p>Threading: created and stopped by the cluster's owner (stops may run on several threads at once, one per child:
 * {@link Process} is thread-safe); the output is read on a daemon thread of its own ({@link BrokerOutput}).
 */
final class BrokerChild {

    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+(at |\\.\\.\\. \\d+ more)");

    private final int nodeId;
    private final Process process;
    private final BrokerOutput output;
    private final Logger log;
    private volatile boolean stopping;

    private BrokerChild(final int nodeId, final Process process, final BrokerOutput output, final Logger log) {
        this.nodeId = nodeId;
        this.process = process;
        this.output = output;
        this.log = log;
    }

    /**
     * From now on an exit that {@link #terminate()} or {@link #kill()} did not ask for is logged at ERROR: a node that
     * dies on its own leaves the cluster one node short, and the operator should hear of it.
     */
    void reportUnexpectedExit() {
        process.onExit().thenAccept(exited -> {
            if (!stopping) {
                log.error("Kafka node {} (pid {}) exited with code {}; the other nodes go on without it (restart the"
                        + " cluster on the same data dir to bring it back)", nodeId, exited.pid(), exited.exitValue());
            }
        });
    }

    /** Starts the child with {@code nodeArgs} (see {@link KafkaBrokerMain}); its lines go to {@code log}. */
    static BrokerChild start(final int nodeId, final Path brokerLibDir, final String maxHeap, final String logLevel,
                             final List<String> nodeArgs, final Logger log) {
        final List<String> command = command(brokerLibDir, maxHeap, logLevel);
        command.addAll(nodeArgs);
        final Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start the JVM of Kafka node " + nodeId + ": "
                    + String.join(" ", command), e);
        }
        final BrokerOutput output = new BrokerOutput(process.getInputStream(), KafkaBrokerMain.READY_PREFIX,
                KafkaBrokerMain.FAILED_PREFIX, log);
        final Thread reader = new Thread(output, "llmgw-broker-" + nodeId + "-output");
        reader.setDaemon(true);
        reader.start();
        return new BrokerChild(nodeId, process, output, log);
    }

    /**
     * {@code java -Xms.. -Xmx.. -XX:+AlwaysPreTouch [JavaOptions.GC] [LLMGW_BROKER_JAVA_OPTS] [flags]
     * [-Dllmgw.broker.log.level=..] -cp <lib>/* io.llmgw.broker.KafkaBrokerMain}.
     *
     * <p>The heap is fixed and touched at start, as Kafka's own start script fixes it: left to size itself, G1 kept
     * a loaded broker at about 90 MB with 50 MB live and paused every 3 s for 30-70 ms (every reply waits out a
     * broker pause); fixed at 512 MB it paused every 20-30 s. Touching the heap at start moves the page faults of
     * the first large young collection (a 280 ms pause, measured) to before the READY line.
     */
    static List<String> command(final Path brokerLibDir, final String maxHeap, final String logLevel) {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xms" + maxHeap);
        command.add("-Xmx" + maxHeap);
        command.add("-XX:+AlwaysPreTouch");
        command.addAll(JavaOptions.GC);
        command.addAll(JavaOptions.broker());
        if (Runtime.version().feature() >= 24) {
            // Kafka and its compression libraries warn without these on 24+; JDK 21 rejects the second one
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        if (!logLevel.isBlank()) {
            command.add("-Dllmgw.broker.log.level=" + logLevel.strip());
        }
        command.add("-cp");
        command.add(brokerLibDir.toAbsolutePath() + File.separator + "*");
        // a compile-time constant: the broker's classes are not on this JVM's classpath
        command.add(KafkaBrokerMain.MAIN_CLASS);
        return command;
    }

    int nodeId() {
        return nodeId;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Completes with the node's client address when it is ready, exceptionally when its output ends first. */
    CompletableFuture<String> ready() {
        return output.ready();
    }

    /**
     * SIGTERM: the child stops its broker cleanly, and bounds that itself (a node whose controller quorum is gone
     * would otherwise wait minutes for a controlled shutdown nobody can grant).
     */
    void terminate() {
        stopping = true;
        process.destroy();
    }

    /** Waits up to {@code timeout} for the child to exit; true when it has. */
    boolean awaitExit(final Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** SIGKILL, and wait until the process is gone. */
    void kill() {
        stopping = true;
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(10));
    }

    /** What the child said about a failed start: its reason and its last lines without stack frames. */
    String describeFailure() {
        final StringBuilder text = new StringBuilder();
        output.failure().ifPresent(reason -> text.append(": ").append(reason));
        final List<String> lines = output.lastLines().stream()
                .filter(line -> !STACK_FRAME.matcher(line).find()).toList();
        if (!lines.isEmpty()) {
            text.append(". Its last output:");
            lines.forEach(line -> text.append("\n  ").append(line));
        }
        return text.toString();
    }

    Optional<Integer> exitCode() {
        return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }
}
