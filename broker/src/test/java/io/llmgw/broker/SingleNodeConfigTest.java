package io.llmgw.broker;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SingleNodeConfigTest {

    private static final Path LOG_DIR = Path.of("/var/tmp/llmgw-kafka");

    @Test
    void shouldBindOnlyLoopbackWhenPortsAreGiven() {
        final Properties props = SingleNodeConfig.of(new BrokerArgs(9092, 9093, LOG_DIR, Map.of()));

        assertEquals("PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093", props.getProperty("listeners"));
        assertEquals("PLAINTEXT://127.0.0.1:9092", props.getProperty("advertised.listeners"));
        assertEquals("1@127.0.0.1:9093", props.getProperty("controller.quorum.voters"));
        assertEquals("broker,controller", props.getProperty("process.roles"));
        assertEquals(LOG_DIR.toAbsolutePath().toString(), props.getProperty("log.dirs"));
    }

    @Test
    void shouldUseOneReplicaAndFastGroupDefaultsWhenSingleNode() {
        final Properties props = SingleNodeConfig.of(new BrokerArgs(9092, 9093, LOG_DIR, Map.of()));

        assertEquals("1", props.getProperty("offsets.topic.replication.factor"));
        assertEquals("1", props.getProperty("transaction.state.log.min.isr"));
        assertEquals("1", props.getProperty("share.coordinator.state.topic.replication.factor"));
        assertEquals("1", props.getProperty("offsets.topic.num.partitions"));
        assertEquals("0", props.getProperty("group.initial.rebalance.delay.ms"));
        assertEquals("8388608", props.getProperty("log.cleaner.dedupe.buffer.size"));
        assertEquals("false", props.getProperty("auto.create.topics.enable"));
    }

    @Test
    void shouldLetOverridesWinWhenTheyNameADefault() {
        final Properties props = SingleNodeConfig.of(new BrokerArgs(9092, 9093, LOG_DIR,
                Map.of("auto.create.topics.enable", "true", "num.partitions", "4")));

        assertEquals("true", props.getProperty("auto.create.topics.enable"));
        assertEquals("4", props.getProperty("num.partitions"));
    }

    @Test
    void shouldRefuseWhenAPortIsStillZero() {
        assertThrows(IllegalArgumentException.class,
                () -> SingleNodeConfig.of(new BrokerArgs(0, 9093, LOG_DIR, Map.of())));
    }
}
