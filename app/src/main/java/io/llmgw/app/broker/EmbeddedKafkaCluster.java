package io.llmgw.app.broker;

import io.llmgw.settings.Settings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * A local KRaft cluster of N nodes on 127.0.0.1, one child JVM per node ({@code io.llmgw.broker.KafkaBrokerMain}
 * with {@code --cluster}): client ports {@code port} to {@code port + N - 1} (free ones when {@code port} is 0),
 * controller ports chosen free at every start, node {@code i}'s data in {@code <dataDir>/node-<i>}, and the cluster
 * id in {@code <dataDir>/cluster.properties} ({@link ClusterIdentity}), so the same data dir is the same cluster
 * after a restart. What replication follows from N is the broker module's {@code ClusterLayout}: RF N, and
 * {@code min.insync.replicas} N-1 from three nodes on.
 *
 * <p>{@link #start} returns when every node said it is ready and the cluster lists all of them. {@link #close()} and
 * a shutdown hook stop all nodes at once: SIGTERM to every child, one shared deadline, SIGKILL for those still
 * running after it. One node after the other would be slow: the last nodes wait for a controlled shutdown that a
 * quorum already gone cannot grant (Kafka waits up to 5 minutes for it; the child bounds it).
 *
 * <p>Threading: started and closed by its owner's thread (close is synchronized, so the shutdown hook and the owner
 * may both call it); each child's output is read on a thread of its own.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);
    private static final Duration ORDERLY_SHUTDOWN_GRACE = Duration.ofSeconds(20);
    private static final Duration FAILED_START_GRACE = Duration.ofSeconds(5);
    private static final Duration REGISTRATION_PAUSE = Duration.ofMillis(100);

    /**
     * How to run the cluster.
     *
     * @param nodes           how many broker JVMs
     * @param port            the first client port; 0 for free ports
     * @param maxHeap         each child's {@code -Xmx}
     * @param logLevel        the brokers' log level (WARN when blank)
     * @param startTimeout    how long the whole cluster may take to be ready
     * @param stopTimeout     how long the nodes may take to stop cleanly before they are killed
     * @param brokerOverrides broker properties that replace the node defaults, on every node
     */
    public record Options(int nodes, int port, String maxHeap, String logLevel, Duration startTimeout,
                          Duration stopTimeout, Map<String, String> brokerOverrides) {

        public Options {
            if (nodes < 1) {
                throw new IllegalArgumentException("a cluster needs at least one node, got " + nodes);
            }
            if (port < 0 || port + nodes - 1 > 65_535) {
                throw new IllegalArgumentException("client ports " + port + " to " + (port + nodes - 1)
                        + " are not all valid");
            }
            brokerOverrides = Map.copyOf(brokerOverrides);
        }

        /** {@code nodes} nodes from {@code port}; heap, log level and start timeout as for the embedded broker. */
        public static Options from(final Settings settings, final int nodes, final int port) {
            final EmbeddedKafka.Options single = EmbeddedKafka.Options.from(settings);
            return new Options(nodes, port, single.maxHeap(), single.logLevel(),
                    single.startTimeout().plusSeconds(15L * (nodes - 1)), Duration.ofSeconds(30), Map.of());
        }
    }

    /** One node as clients and operators see it. */
    public record Member(int id, String address, long pid) {
    }

    // filled while starting, then read only; guarded by their own monitors for the shutdown hook's sake
    private final List<BrokerChild> children = new ArrayList<>();
    private final List<Member> members = new ArrayList<>();
    private final ClusterIdentity identity;
    private final Duration stopTimeout;
    private final Thread shutdownHook = new Thread(this::stopFromHook, "llmgw-kafka-cluster-stop");
    private boolean closed;

    private EmbeddedKafkaCluster(final ClusterIdentity identity, final Duration stopTimeout) {
        this.identity = identity;
        this.stopTimeout = stopTimeout;
    }

    /** Starts the nodes and returns when clients can use all of them; throws with a failed node's own words. */
    public static EmbeddedKafkaCluster start(final Path dataDir, final Path brokerLibDir, final Options options) {
        BrokerLib.require(brokerLibDir, "the caller");
        try {
            Files.createDirectories(dataDir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the cluster data dir " + dataDir, e);
        }
        final ClusterIdentity identity = ClusterIdentity.loadOrCreate(dataDir, options.nodes());
        final List<int[]> ports = choosePorts(options);
        final String spec = spec(ports);
        final long startedNanos = System.nanoTime();

        final EmbeddedKafkaCluster cluster = new EmbeddedKafkaCluster(identity, options.stopTimeout());
        // registered before the first child: a Ctrl-C during the start must not leave children behind
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            for (int id = 1; id <= options.nodes(); id++) {
                final BrokerChild child = BrokerChild.start(id, brokerLibDir, options.maxHeap(), options.logLevel(),
                        nodeArgs(spec, id, identity, dataDir, options), brokerLog(id, options.nodes()));
                synchronized (cluster.children) {
                    cluster.children.add(child);
                }
            }
            final long deadline = startedNanos + options.startTimeout().toNanos();
            for (final BrokerChild child : cluster.children()) {
                final Member member = new Member(child.nodeId(), awaitReady(child, deadline, options), child.pid());
                synchronized (cluster.members) {
                    cluster.members.add(member);
                }
            }
            awaitAllRegistered(cluster.members(), deadline, options);
            cluster.children().forEach(BrokerChild::reportUnexpectedExit);
        } catch (final RuntimeException e) {
            cluster.stopAll(FAILED_START_GRACE);
            removeHook(cluster.shutdownHook);
            throw e;
        }
        LOG.info("Kafka cluster {} ready in {} ms: {} node(s) at {} (pids {}, data {})", identity.clusterId(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos), options.nodes(),
                cluster.bootstrapServers(), cluster.members().stream().map(m -> Long.toString(m.pid()))
                        .collect(Collectors.joining(",")), dataDir.toAbsolutePath());
        return cluster;
    }

    /** Every node's client address, for {@code BOOTSTRAP_SERVERS}. */
    public String bootstrapServers() {
        return members().stream().map(Member::address).collect(Collectors.joining(","));
    }

    public String clusterId() {
        return identity.clusterId();
    }

    /** The nodes in id order. */
    public List<Member> members() {
        synchronized (members) {
            return List.copyOf(members);
        }
    }

    private List<BrokerChild> children() {
        synchronized (children) {
            return List.copyOf(children);
        }
    }

    /** Stops every node at once and waits for all of them (see the class comment); safe to call more than once. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        stopAll(stopTimeout);
        removeHook(shutdownHook);
    }

    private void stopFromHook() {
        // shutdown hooks run concurrently: the owner's orderly shutdown (roles leaving their groups need the
        // brokers) gets time to close the cluster itself first
        final long deadline = System.nanoTime() + ORDERLY_SHUTDOWN_GRACE.toNanos();
        for (final BrokerChild child : children()) {
            child.awaitExit(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        stopAll(stopTimeout);
    }

    private void stopAll(final Duration timeout) {
        final List<BrokerChild> running = children().stream().filter(BrokerChild::isAlive).toList();
        if (running.isEmpty()) {
            return;
        }
        final long startedNanos = System.nanoTime();
        running.forEach(BrokerChild::terminate);
        // every child got its signal at once, so waiting for them in turn against one deadline is waiting in parallel
        final long deadline = startedNanos + timeout.toNanos();
        for (final BrokerChild child : running) {
            if (!child.awaitExit(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                LOG.warn("Kafka node {} (pid {}) did not stop within {}; killing it", child.nodeId(), child.pid(),
                        timeout);
                child.kill();
            }
        }
        LOG.info("Kafka cluster stopped in {} ms ({} node(s))",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos), running.size());
    }

    private static String awaitReady(final BrokerChild child, final long deadline, final Options options) {
        final CompletableFuture<String> ready = child.ready();
        try {
            return ready.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (final ExecutionException e) {
            // its output ended, so it is exiting: wait for the exit code the message reports
            child.awaitExit(FAILED_START_GRACE);
            throw new IllegalStateException("Kafka node " + child.nodeId() + " "
                    + child.exitCode().map(code -> "exited with code " + code).orElse("closed its output")
                    + " before it was ready" + child.describeFailure(), e);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("Kafka node " + child.nodeId() + " did not report ready within "
                    + options.startTimeout().toSeconds() + " s" + child.describeFailure(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka node " + child.nodeId(), e);
        }
    }

    /** Each node reports ready when it is registered itself; this waits until the cluster lists all of them. */
    private static void awaitAllRegistered(final List<Member> members, final long deadline, final Options options) {
        final String bootstrap = members.stream().map(Member::address).collect(Collectors.joining(","));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (true) {
                final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMs <= 0) {
                    throw new IllegalStateException("the Kafka cluster did not list all " + members.size()
                            + " nodes within " + options.startTimeout().toSeconds() + " s");
                }
                // fenced ones included: on a starved machine a slow controller fences and unfences live brokers,
                // and the nodes are registered all the same (clients ride out a fenced broker)
                final int listed = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) remainingMs)
                        .includeFencedBrokers(true)).nodes().get(remainingMs, TimeUnit.MILLISECONDS).size();
                if (listed == members.size()) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(REGISTRATION_PAUSE.toMillis());
            }
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the Kafka cluster at " + bootstrap + " did not describe itself: " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the Kafka cluster", e);
        }
    }

    /** Client and controller port of each node: clients from {@code port} on (or free), controllers free. */
    static List<int[]> choosePorts(final Options options) {
        final Set<Integer> taken = new HashSet<>();
        final List<int[]> ports = new ArrayList<>();
        for (int i = 0; i < options.nodes(); i++) {
            final int client = options.port() == 0 ? freePort(taken) : options.port() + i;
            taken.add(client);
            ports.add(new int[] {client, 0});
        }
        for (final int[] node : ports) {
            node[1] = freePort(taken);
            taken.add(node[1]);
        }
        return ports;
    }

    /** The broker module's {@code --cluster} spec: {@code id:port:controllerPort,...}, ids from 1. */
    static String spec(final List<int[]> ports) {
        final List<String> nodes = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            nodes.add((i + 1) + ":" + ports.get(i)[0] + ":" + ports.get(i)[1]);
        }
        return String.join(",", nodes);
    }

    static List<String> nodeArgs(final String spec, final int id, final ClusterIdentity identity, final Path dataDir,
                                 final Options options) {
        final List<String> args = new ArrayList<>(List.of(
                "--cluster", spec,
                "--node-id", Integer.toString(id),
                "--cluster-id", identity.clusterId(),
                "--log-dir", dataDir.resolve("node-" + id).toAbsolutePath().toString()));
        options.brokerOverrides().forEach((key, value) -> {
            args.add("--override");
            args.add(key + "=" + value);
        });
        return args;
    }

    /** One node's lines appear as {@code kafka} (one node) or {@code kafka-<id>} in the console pattern. */
    private static Logger brokerLog(final int id, final int nodes) {
        return LoggerFactory.getLogger(nodes == 1 ? "io.llmgw.app.broker.kafka" : "io.llmgw.app.broker.kafka-" + id);
    }

    private static int freePort(final Set<Integer> taken) {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (!taken.contains(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (final IOException e) {
                throw new UncheckedIOException("no free port on 127.0.0.1", e);
            }
        }
    }

    private static void removeHook(final Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException e) {
            // the JVM is already shutting down, and the hook is running or has run
        }
    }
}
