package io.llmgw.broker;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NodeConfigTest {

    private static final Path LOG_DIR = Path.of("/var/tmp/llmgw-kafka");

    @Test
    void shouldBindOnlyLoopbackWhenPortsAreGiven() {
        final Properties props = NodeConfig.of(new BrokerArgs(9092, 9093, LOG_DIR, Map.of()));

        assertEquals("PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093", props.getProperty("listeners"));
        assertEquals("PLAINTEXT://127.0.0.1:9092", props.getProperty("advertised.listeners"));
        assertEquals("1@127.0.0.1:9093", props.getProperty("controller.quorum.voters"));
        assertEquals("broker,controller", props.getProperty("process.roles"));
        assertEquals(LOG_DIR.toAbsolutePath().toString(), props.getProperty("log.dirs"));
    }

    @Test
    void shouldUseOneReplicaAndFastGroupDefaultsWhenSingleNode() {
        final Properties props = NodeConfig.of(new BrokerArgs(9092, 9093, LOG_DIR, Map.of()));

        assertEquals("1", props.getProperty("offsets.topic.replication.factor"));
        assertEquals("1", props.getProperty("transaction.state.log.min.isr"));
        assertEquals("1", props.getProperty("share.coordinator.state.topic.replication.factor"));
        assertEquals("1", props.getProperty("offsets.topic.num.partitions"));
        assertEquals("0", props.getProperty("group.initial.rebalance.delay.ms"));
        assertEquals("false", props.getProperty("controlled.shutdown.enable"), "nodes stop together");
        assertEquals("8388608", props.getProperty("log.cleaner.dedupe.buffer.size"));
        assertEquals("false", props.getProperty("auto.create.topics.enable"));
    }

    @Test
    void shouldReplicateEverythingThreeTimesWithTwoInSyncWhenThreeNodes() {
        final Properties props = nodeOf(ClusterLayout.contiguous(3, 19092), 2);

        for (final String name : new String[] {"default.replication.factor", "offsets.topic.replication.factor",
            "transaction.state.log.replication.factor", "share.coordinator.state.topic.replication.factor"}) {
            assertEquals("3", props.getProperty(name), name);
        }
        for (final String name : new String[] {"min.insync.replicas", "transaction.state.log.min.isr",
            "share.coordinator.state.topic.min.isr"}) {
            assertEquals("2", props.getProperty(name), name);
        }
    }

    @Test
    void shouldListenOnItsOwnPortsAndNameEveryVoterWhenANodeOfThree() {
        final Properties props = nodeOf(ClusterLayout.contiguous(3, 19092), 2);

        assertEquals("2", props.getProperty("node.id"));
        assertEquals("broker,controller", props.getProperty("process.roles"));
        assertEquals("PLAINTEXT://127.0.0.1:19093,CONTROLLER://127.0.0.1:19096", props.getProperty("listeners"));
        assertEquals("PLAINTEXT://127.0.0.1:19093", props.getProperty("advertised.listeners"));
        assertEquals("1@127.0.0.1:19095,2@127.0.0.1:19096,3@127.0.0.1:19097",
                props.getProperty("controller.quorum.voters"));
    }

    @Test
    void shouldRunAsBrokerOnlyWhenOutsideTheQuorum() {
        final Properties props = nodeOf(ClusterLayout.contiguous(2, 19092), 2);

        assertEquals("broker", props.getProperty("process.roles"));
        assertEquals("PLAINTEXT://127.0.0.1:19093", props.getProperty("listeners"));
        assertEquals("1@127.0.0.1:19094", props.getProperty("controller.quorum.voters"));
        assertEquals("2", props.getProperty("default.replication.factor"));
        assertEquals("1", props.getProperty("min.insync.replicas"));
    }

    @Test
    void shouldFenceASilentNodeWithinTheGatewaysPublishTimeoutWhenAnyLayout() {
        final Properties props = nodeOf(ClusterLayout.contiguous(3, 19092), 1);

        assertEquals("3000", props.getProperty("broker.session.timeout.ms"));
        assertEquals("500", props.getProperty("broker.heartbeat.interval.ms"));
    }

    @Test
    void shouldLetOverridesWinWhenTheyNameADefault() {
        final Properties props = NodeConfig.of(new BrokerArgs(9092, 9093, LOG_DIR,
                Map.of("auto.create.topics.enable", "true", "num.partitions", "4")));

        assertEquals("true", props.getProperty("auto.create.topics.enable"));
        assertEquals("4", props.getProperty("num.partitions"));
    }

    private static Properties nodeOf(final ClusterLayout layout, final int nodeId) {
        return NodeConfig.of(new BrokerArgs(layout, nodeId, LOG_DIR, Optional.empty(), Map.of()));
    }

    @Test
    void shouldRefuseWhenAPortIsStillZero() {
        assertThrows(IllegalArgumentException.class,
                () -> NodeConfig.of(new BrokerArgs(0, 9093, LOG_DIR, Map.of())));
    }
}
