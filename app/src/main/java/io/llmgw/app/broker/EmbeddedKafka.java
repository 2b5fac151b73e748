package io.llmgw.app.broker;

import io.llmgw.broker.KafkaBrokerMain;
import io.llmgw.settings.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * A single-node KRaft broker in a child JVM ({@code io.llmgw.broker.KafkaBrokerMain} on the classpath of
 * {@code broker/target/lib}), so Kafka's server dependencies stay off the application's classpath.
 *
 * <p>The child stops when its stdin closes: {@link #close()} closes it, and so does the operating system when this
 * JVM dies in any way, so no broker outlives its parent. A shutdown hook closes it on Ctrl-C as well, and waits for
 * the clean shutdown.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    /** The child's own log lines appear under this name (it shows as "kafka" in the console pattern). */
    private static final Logger BROKER_LOG = LoggerFactory.getLogger("io.llmgw.app.broker.kafka");
    private static final Duration TERMINATE_GRACE = Duration.ofSeconds(5);
    private static final Duration ORDERLY_SHUTDOWN_GRACE = Duration.ofSeconds(20);
    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+(at |\\.\\.\\. \\d+ more)");

    /**
     * How to run the child.
     *
     * @param port            the client port, 0 for a free one
     * @param controllerPort  the KRaft controller port, 0 for a free one
     * @param maxHeap         the child's heap ({@code -Xms} and {@code -Xmx}), such as {@code 512m}
     * @param logLevel        the broker's log level (WARN when blank; the child also reads LLMGW_BROKER_LOG_LEVEL)
     * @param startTimeout    how long to wait for the READY line
     * @param stopTimeout     how long a clean shutdown may take before the child is terminated
     * @param brokerOverrides broker properties that replace the single-node defaults
     */
    public record Options(int port, int controllerPort, String maxHeap, String logLevel, Duration startTimeout,
                          Duration stopTimeout, Map<String, String> brokerOverrides) {

        public Options {
            brokerOverrides = Map.copyOf(brokerOverrides);
        }

        public static Options defaults() {
            return new Options(0, 0, "512m", "", Duration.ofSeconds(60), Duration.ofSeconds(30), Map.of());
        }

        /**
         * LLMGW_BROKER_PORT (0), LLMGW_BROKER_CONTROLLER_PORT (0), LLMGW_BROKER_HEAP (512m),
         * LLMGW_BROKER_LOG_LEVEL (WARN), LLMGW_BROKER_START_TIMEOUT in seconds (60).
         */
        public static Options from(final Settings settings) {
            final Options defaults = defaults();
            return new Options(
                    settings.getInt("LLMGW_BROKER_PORT", defaults.port()),
                    settings.getInt("LLMGW_BROKER_CONTROLLER_PORT", defaults.controllerPort()),
                    settings.get("LLMGW_BROKER_HEAP", defaults.maxHeap()),
                    settings.get("LLMGW_BROKER_LOG_LEVEL", defaults.logLevel()),
                    settings.getSeconds("LLMGW_BROKER_START_TIMEOUT", defaults.startTimeout()),
                    defaults.stopTimeout(),
                    Map.of());
        }

        public Options withPorts(final int newPort, final int newControllerPort) {
            return new Options(newPort, newControllerPort, maxHeap, logLevel, startTimeout, stopTimeout, brokerOverrides);
        }
    }

    private final Process process;
    private final String bootstrapServers;
    private final Duration stopTimeout;
    private final Thread shutdownHook;
    private boolean closed;

    private EmbeddedKafka(final Process process, final String bootstrapServers, final Duration stopTimeout,
                          final Thread shutdownHook) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
        this.stopTimeout = stopTimeout;
        this.shutdownHook = shutdownHook;
    }

    /** Starts a broker with the default options; {@code dataDir} keeps its data (formatted on first use). */
    public static EmbeddedKafka start(final Path dataDir, final Path brokerLibDir) {
        return start(dataDir, brokerLibDir, Options.defaults());
    }

    /** Starts a broker and returns when it accepts clients; throws with the child's last output if it cannot. */
    public static EmbeddedKafka start(final Path dataDir, final Path brokerLibDir, final Options options) {
        BrokerLib.require(brokerLibDir, "the caller");
        try {
            Files.createDirectories(dataDir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the broker data dir " + dataDir, e);
        }
        final List<String> command = command(dataDir, brokerLibDir, options);
        final long startedNanos = System.nanoTime();
        final Process process;
        try {
            // stdin stays a pipe held by this JVM: its end is the child's signal to stop
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start the broker JVM: " + String.join(" ", command), e);
        }
        final BrokerOutput output = new BrokerOutput(process.getInputStream(), KafkaBrokerMain.READY_PREFIX,
                KafkaBrokerMain.FAILED_PREFIX, BROKER_LOG);
        final Thread reader = new Thread(output, "llmgw-broker-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
        // registered before waiting: a Ctrl-C during the start must not leave the child behind either. Shutdown hooks
        // run concurrently, so the hook first gives the owner's orderly shutdown (workers and router leave their
        // groups, which needs the broker) time to close the broker itself, and only then stops it.
        final Thread hook = new Thread(() -> {
            awaitExit(process, ORDERLY_SHUTDOWN_GRACE);
            stop(process, options.stopTimeout());
        }, "llmgw-broker-stop-" + process.pid());
        Runtime.getRuntime().addShutdownHook(hook);

        final String bootstrap;
        try {
            bootstrap = output.ready().get(options.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException | TimeoutException | InterruptedException e) {
            throw startFailed(process, hook, output, e, options, dataDir);
        }
        final EmbeddedKafka kafka = new EmbeddedKafka(process, bootstrap, options.stopTimeout(), hook);
        LOG.info("Kafka broker ready at {} in {} ms (child JVM pid {}, data {})", bootstrap,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos), process.pid(), dataDir);
        return kafka;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The child JVM's process id. */
    public long pid() {
        return process.pid();
    }

    /** Asks the broker to stop (closes its stdin), waits for a clean shutdown, and terminates it if that takes too long. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop(process, stopTimeout);
        removeHook(shutdownHook);
    }

    static List<String> command(final Path dataDir, final Path brokerLibDir, final Options options) {
        final List<String> command = BrokerChild.command(brokerLibDir, options.maxHeap(), options.logLevel());
        command.add("--port");
        command.add(Integer.toString(options.port()));
        command.add("--controller-port");
        command.add(Integer.toString(options.controllerPort()));
        command.add("--log-dir");
        command.add(dataDir.toAbsolutePath().toString());
        options.brokerOverrides().forEach((key, value) -> {
            command.add("--override");
            command.add(key + "=" + value);
        });
        return command;
    }

    private static void stop(final Process process, final Duration timeout) {
        if (!process.isAlive()) {
            return;
        }
        try {
            process.getOutputStream().close();
        } catch (final IOException e) {
            // the pipe is already broken: the child sees end of input all the same
        }
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            LOG.warn("Kafka broker (pid {}) did not stop within {}; terminating it", process.pid(), timeout);
            process.destroy();
            if (!process.waitFor(TERMINATE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(TERMINATE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static void awaitExit(final Process process, final Duration timeout) {
        try {
            process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(final Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException e) {
            // the JVM is already shutting down, and the hook is running or has run
        }
    }

    /** Stops what is left of the child and describes the failure, quoting the child's own words. */
    private static IllegalStateException startFailed(final Process process, final Thread hook,
                                                     final BrokerOutput output, final Exception cause,
                                                     final Options options, final Path dataDir) {
        if (cause instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        } else if (cause instanceof ExecutionException) {
            // its output ended, so it is exiting: wait for the exit code that the message reports
            awaitExit(process, TERMINATE_GRACE);
        }
        final String message = failure(process, cause, options, dataDir, output);
        stop(process, TERMINATE_GRACE);
        removeHook(hook);
        return new IllegalStateException(message, cause);
    }

    private static String failure(final Process process, final Exception cause, final Options options,
                                  final Path dataDir, final BrokerOutput output) {
        final String what = switch (cause) {
            case TimeoutException t -> "did not report ready within " + options.startTimeout().toSeconds() + " s";
            case InterruptedException i -> "was abandoned: interrupted while waiting for it";
            default -> process.isAlive() ? "closed its output before it was ready"
                    : "exited with code " + process.exitValue() + " before it was ready";
        };
        final StringBuilder message = new StringBuilder("the embedded Kafka broker ").append(what)
                .append(" (port ").append(options.port() == 0 ? "any" : options.port())
                .append(", controller port ").append(options.controllerPort() == 0 ? "any" : options.controllerPort())
                .append(", data ").append(dataDir.toAbsolutePath()).append(")");
        output.failure().ifPresent(reason -> message.append(": ").append(reason));
        // stack frames say little to a user whose port is taken; the lines around them say what happened
        final List<String> lines = output.lastLines().stream().filter(line -> !STACK_FRAME.matcher(line).find()).toList();
        if (lines.isEmpty()) {
            message.append(". It printed nothing else.");
        } else {
            message.append(". Its last output:");
            lines.forEach(line -> message.append("\n  ").append(line));
        }
        return message.toString();
    }
}
