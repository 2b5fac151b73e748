package io.llmgw.broker;

import java.util.Map;
import java.util.Properties;

/**
 * The configuration of one node of a local KRaft cluster on 127.0.0.1 ({@link ClusterLayout}), tuned for a developer
 * machine: the voters are broker and controller in one process, the others brokers only; every partition, internal
 * topics included, has {@link ClusterLayout#replicationFactor()} replicas and {@link ClusterLayout#minInsyncReplicas()};
 * the defaults that make the first consumer group slow or a small heap run out are overridden; a node that dies is
 * noticed within {@value #SESSION_TIMEOUT_MS} ms.
 */
public final class NodeConfig {

    /** How long the controller waits for a silent broker before it fences it and moves its leaderships. */
    static final int SESSION_TIMEOUT_MS = 3_000;

    private NodeConfig() {
    }

    /** Properties for {@code args}, whose ports must already be decided (see {@link BrokerArgs#withFreePorts()}). */
    public static Properties of(final BrokerArgs args) {
        if (args.port() == 0 || args.controllerPort() == 0) {
            throw new IllegalArgumentException("ports must be chosen before the config is built: " + args);
        }
        final ClusterLayout layout = args.layout();
        final boolean voter = layout.isVoter(args.nodeId());
        final String clientListener = "PLAINTEXT://127.0.0.1:" + args.port();
        final Properties props = new Properties();
        props.put("process.roles", voter ? "broker,controller" : "broker");
        props.put("node.id", Integer.toString(args.nodeId()));
        props.put("controller.quorum.voters", layout.quorumVoters());
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        // 127.0.0.1 only: a developer's broker must not be reachable from the network
        props.put("listeners", voter ? clientListener + ",CONTROLLER://127.0.0.1:" + args.controllerPort() : clientListener);
        props.put("advertised.listeners", clientListener);
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", args.logDir().toAbsolutePath().toString());

        // topics created without a replication factor (llmgw's, Streams' changelogs) get one replica per node
        final String replicas = Integer.toString(layout.replicationFactor());
        final String minIsr = Integer.toString(layout.minInsyncReplicas());
        props.put("default.replication.factor", replicas);
        props.put("min.insync.replicas", minIsr);
        props.put("offsets.topic.replication.factor", replicas);
        props.put("transaction.state.log.replication.factor", replicas);
        props.put("transaction.state.log.min.isr", minIsr);
        props.put("share.coordinator.state.topic.replication.factor", replicas);
        props.put("share.coordinator.state.topic.min.isr", minIsr);
        // the defaults (9 s, 2 s) keep the partitions of a killed node leaderless for up to 9 s, close to the
        // gateway's publish timeout; on loopback a live node is never 3 s late
        props.put("broker.session.timeout.ms", Integer.toString(SESSION_TIMEOUT_MS));
        props.put("broker.heartbeat.interval.ms", "500");
        // the embedded nodes always stop together (EmbeddedKafkaCluster), so moving leaders to nodes that are stopping
        // too is pointless, and with a node already dead the survivors waited out their 30 s bound for a grant that
        // the shrinking quorum could not give (BrokerKillIT: 30 s to stop the two nodes left after a SIGKILL)
        props.put("controlled.shutdown.enable", "false");
        // 50 offsets partitions make the first group join take seconds; one is plenty for a developer's cluster
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.num.partitions", "1");
        props.put("share.coordinator.state.topic.num.partitions", "1");
        // the 3 s default delays every consumer group's first rebalance, and so every start of the stack
        props.put("group.initial.rebalance.delay.ms", "0");
        // the 128 MiB default is allocated on heap: a 256 MiB broker would die with OutOfMemoryError at start
        props.put("log.cleaner.dedupe.buffer.size", "8388608");
        // topics are created deliberately (with their partition counts); a typo must not create a topic
        props.put("auto.create.topics.enable", "false");

        for (final Map.Entry<String, String> override : args.overrides().entrySet()) {
            props.put(override.getKey(), override.getValue());
        }
        return props;
    }
}
