package io.llmgw.broker;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one KRaft node (a one-node cluster, or one node of a local cluster) as a child process of llmgw.
 *
 * <p>Protocol with the parent: the arguments of {@link BrokerArgs} ({@code --port <p> --controller-port <c>}, ports 0 =
 * free ones, or {@code --cluster <spec> --node-id <id> --cluster-id <id>}; {@code --log-dir <dir>},
 * {@code [--override key=value]...}); when clients can use this node, exactly one line
 * {@code LLMGW_BROKER_READY 127.0.0.1:<port>} (its own address) on stdout. The broker shuts down cleanly when stdin reaches end of file
 * (the parent closed it or died, even by SIGKILL) or on SIGTERM/SIGINT. A failed start prints one line
 * {@code LLMGW_BROKER_FAILED <reason>} on stderr and exits with code 1; bad arguments exit with code 2. Kafka's own
 * logging goes to stderr at WARN; set {@code LLMGW_BROKER_LOG_LEVEL} (or {@code -Dllmgw.broker.log.level}) to
 * change it.
 */
public final class KafkaBrokerMain {

    /** Compile-time constants, so the parent can use them without the broker's classes on its classpath. */
    public static final String MAIN_CLASS = "io.llmgw.broker.KafkaBrokerMain";
    public static final String READY_PREFIX = "LLMGW_BROKER_READY ";
    /** Starts the one-line reason a start failed (exit code 1), so the parent can quote it above the log lines. */
    public static final String FAILED_PREFIX = "LLMGW_BROKER_FAILED ";

    // the parent has its own, usually shorter, deadline; this one only stops a child nobody waits for any more
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration SIGNAL_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    private KafkaBrokerMain() {
    }

    public static void main(final String[] args) {
        final BrokerArgs brokerArgs;
        try {
            brokerArgs = BrokerArgs.parse(args);
        } catch (final IllegalArgumentException e) {
            System.err.println("llmgw broker: " + e.getMessage());
            System.exit(2);
            return;
        }
        final CountDownLatch stopRequested = new CountDownLatch(1);
        final CountDownLatch stopped = new CountDownLatch(1);
        watchForEndOfInput(System.in, stopRequested);
        // on SIGTERM the hook asks the main thread to stop the broker and waits for it, so there is one shutdown path
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopRequested.countDown();
            awaitQuietly(stopped, SIGNAL_SHUTDOWN_TIMEOUT);
        }, "llmgw-broker-shutdown"));

        final int exitCode = run(brokerArgs, stopRequested);
        stopped.countDown();
        System.exit(exitCode);
    }

    private static int run(final BrokerArgs brokerArgs, final CountDownLatch stopRequested) {
        final KafkaNode broker;
        try {
            broker = KafkaNode.start(brokerArgs, START_TIMEOUT);
        } catch (final RuntimeException e) {
            System.err.println(FAILED_PREFIX + e.getMessage());
            return 1;
        }
        try (broker) {
            if (stopRequested.getCount() > 0) {
                System.out.println(READY_PREFIX + broker.bootstrapServers());
                System.out.flush();
            }
            stopRequested.await();
            return 0;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** A daemon thread that reads stdin to its end: the parent's way to say "stop", and its death says it too. */
    private static void watchForEndOfInput(final InputStream in, final CountDownLatch stopRequested) {
        final Thread watcher = new Thread(() -> {
            final byte[] buffer = new byte[256];
            try {
                while (in.read(buffer) >= 0) {
                    // input carries no meaning; only its end does
                }
            } catch (final IOException e) {
                // a broken pipe is the same news as end of file: the parent is gone
            }
            stopRequested.countDown();
        }, "llmgw-broker-stdin");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void awaitQuietly(final CountDownLatch latch, final Duration timeout) {
        try {
            latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
