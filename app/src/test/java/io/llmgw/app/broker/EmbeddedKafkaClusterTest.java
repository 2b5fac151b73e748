package io.llmgw.app.broker;

import io.llmgw.settings.Settings;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EmbeddedKafkaClusterTest {

    private static EmbeddedKafkaCluster.Options options(final int nodes, final int port) {
        return new EmbeddedKafkaCluster.Options(nodes, port, "256m", "", Duration.ofSeconds(60),
                Duration.ofSeconds(30), Map.of("num.partitions", "2"));
    }

    @Test
    void shouldGiveClientPortsFromThePortOnAndControllerPortsApartWhenAPortIsGiven() {
        final List<int[]> ports = EmbeddedKafkaCluster.choosePorts(options(3, 29092));

        assertEquals(List.of(29092, 29093, 29094), ports.stream().map(p -> p[0]).toList());
        final Set<Integer> all = new HashSet<>();
        ports.forEach(p -> {
            all.add(p[0]);
            all.add(p[1]);
        });
        assertEquals(6, all.size(), "every port once");
    }

    @Test
    void shouldPickDistinctFreePortsWhenThePortIsZero() {
        final List<int[]> ports = EmbeddedKafkaCluster.choosePorts(options(3, 0));

        final Set<Integer> all = new HashSet<>();
        ports.forEach(p -> {
            all.add(p[0]);
            all.add(p[1]);
        });
        assertEquals(6, all.size());
    }

    @Test
    void shouldNameEveryNodeInTheSpecAndPassTheSameClusterIdToEach() {
        final String spec = EmbeddedKafkaCluster.spec(List.of(new int[] {9092, 9095}, new int[] {9093, 9096}));
        final ClusterIdentity identity = new ClusterIdentity("AAAAAAAAAAAAAAAAAAAAAA", 2);

        final List<String> args = EmbeddedKafkaCluster.nodeArgs(spec, 2, identity, Path.of("/data"), options(2, 9092));

        assertEquals("1:9092:9095,2:9093:9096", spec);
        assertEquals(List.of("--cluster", spec, "--node-id", "2", "--cluster-id", "AAAAAAAAAAAAAAAAAAAAAA",
                "--log-dir", Path.of("/data/node-2").toAbsolutePath().toString(),
                "--override", "num.partitions=2"), args);
    }

    @Test
    void shouldRefuseNoNodesOrPortsBeyondTheRange() {
        assertThrows(IllegalArgumentException.class, () -> options(0, 9092));
        assertThrows(IllegalArgumentException.class, () -> options(3, 65_534));
    }

    @Test
    void shouldTakeHeapAndLevelFromTheBrokerSettingsWhenBuiltFromSettings() {
        final EmbeddedKafkaCluster.Options options = EmbeddedKafkaCluster.Options.from(Settings.of(Map.of(
                "LLMGW_BROKER_HEAP", "192m", "LLMGW_BROKER_LOG_LEVEL", "INFO")), 3, 9092);

        assertEquals(3, options.nodes());
        assertEquals("192m", options.maxHeap());
        assertEquals("INFO", options.logLevel());
    }
}
