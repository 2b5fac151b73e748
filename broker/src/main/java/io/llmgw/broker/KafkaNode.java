package io.llmgw.broker;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.utils.Time;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running KRaft node in this JVM: a one-node cluster, or one node of a {@link ClusterLayout}. {@link #start} returns
 * only when clients can use it: an admin client sees this node registered and unfenced, which is when topics can be
 * created (the nodes of a cluster start together: each waits for a quorum of voters).
 */
public final class KafkaNode implements AutoCloseable {

    private static final Duration RETRY_PAUSE = Duration.ofMillis(50);

    private final KafkaRaftServer server;
    private final BrokerArgs args;
    private final AtomicBoolean closed = new AtomicBoolean();

    private KafkaNode(final KafkaRaftServer server, final BrokerArgs args) {
        this.server = server;
        this.args = args;
    }

    /** Formats the log dir if needed, starts the broker and waits until it answers, at most {@code timeout}. */
    public static KafkaNode start(final BrokerArgs requested, final Duration timeout) {
        final BrokerArgs args = requested.withFreePorts();
        final var props = NodeConfig.of(args);
        LogDirFormat.formatIfNeeded(args.logDir(), props, args.clusterId());
        final KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        final KafkaNode broker = new KafkaNode(server, args);
        try {
            server.startup();
            broker.awaitReady(timeout);
        } catch (final RuntimeException e) {
            broker.close();
            throw new IllegalStateException("Kafka node " + args.nodeId() + " did not start on 127.0.0.1:" + args.port()
                    + " (controller " + args.controllerPort() + ", log dir " + args.logDir() + "): "
                    + rootMessage(e), e);
        }
        return broker;
    }

    /** This node's client address. */
    public String bootstrapServers() {
        return args.node().address();
    }

    /** The arguments the broker runs with, ports resolved. */
    public BrokerArgs args() {
        return args;
    }

    /** Shuts the broker down cleanly and waits for it; safe to call more than once and from a shutdown hook. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.shutdown();
            server.awaitShutdown();
        }
    }

    private void awaitReady(final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.max(1_000, timeout.toMillis())))) {
            while (true) {
                final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMs <= 0) {
                    throw new IllegalStateException("no answer from the broker within " + timeout);
                }
                final Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions()
                        .timeoutMs((int) remainingMs)).nodes().get(remainingMs, TimeUnit.MILLISECONDS);
                if (nodes.stream().anyMatch(node -> node.id() == args.nodeId())) {
                    return;
                }
                // not registered yet, or still fenced (no quorum yet): topic creation would fail, so keep asking
                pause();
            }
        } catch (final ExecutionException e) {
            throw new IllegalStateException(rootMessage(e), e);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("no answer from the broker within " + timeout, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
    }

    private static void pause() throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(RETRY_PAUSE.toMillis());
    }

    private static String rootMessage(final Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == error ? String.valueOf(error.getMessage()) : error.getMessage() + " (" + root + ")";
    }
}
