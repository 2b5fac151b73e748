package io.llmgw.broker;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BrokerArgsTest {

    @Test
    void shouldReadPortsLogDirAndOverridesWhenAllAreGiven() {
        final BrokerArgs args = BrokerArgs.parse("--port", "9092", "--controller-port", "9093", "--log-dir", "/tmp/k",
                "--override", "num.partitions = 3", "--override", "log.retention.ms=1000");

        assertEquals(9092, args.port());
        assertEquals(9093, args.controllerPort());
        assertEquals(Path.of("/tmp/k"), args.logDir());
        assertEquals(Map.of("num.partitions", "3", "log.retention.ms", "1000"), args.overrides());
    }

    @Test
    void shouldDefaultPortsToZeroWhenOnlyLogDirIsGiven() {
        final BrokerArgs args = BrokerArgs.parse("--log-dir", "data");

        assertEquals(0, args.port());
        assertEquals(0, args.controllerPort());
    }

    @Test
    void shouldRejectArgumentsWhenLogDirIsMissing() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BrokerArgs.parse("--port", "1"));

        assertTrue(e.getMessage().contains("--log-dir"), e.getMessage());
    }

    @Test
    void shouldRejectArgumentsWhenOptionIsUnknownOrValueMissing() {
        assertThrows(IllegalArgumentException.class, () -> BrokerArgs.parse("--log-dir", "d", "--verbose", "yes"));
        assertThrows(IllegalArgumentException.class, () -> BrokerArgs.parse("--log-dir"));
        assertThrows(IllegalArgumentException.class, () -> BrokerArgs.parse("--log-dir", "d", "--port", "x"));
        assertThrows(IllegalArgumentException.class, () -> BrokerArgs.parse("--log-dir", "d", "--port", "70000"));
        assertThrows(IllegalArgumentException.class, () -> BrokerArgs.parse("--log-dir", "d", "--override", "=1"));
    }

    @Test
    void shouldReadTheNodeOfAClusterWhenClusterAndNodeIdAreGiven() {
        final BrokerArgs args = BrokerArgs.parse("--cluster", "1:19092:19095,2:19093:19096,3:19094:19097",
                "--node-id", "3", "--cluster-id", "q1Sh4xVNQWm5HxOYGMy1Ag", "--log-dir", "d");

        assertEquals(3, args.nodeId());
        assertEquals(19094, args.port());
        assertEquals(19097, args.controllerPort());
        assertEquals(3, args.layout().size());
        assertEquals(java.util.Optional.of("q1Sh4xVNQWm5HxOYGMy1Ag"), args.clusterId());
        assertEquals(args, args.withFreePorts());
    }

    @Test
    void shouldRejectClusterArgumentsWhenTheyContradictEachOther() {
        final String cluster = "1:19092:19095,2:19093:19096";
        assertThrows(IllegalArgumentException.class, () -> BrokerArgs.parse("--cluster", cluster, "--log-dir", "d"));
        assertThrows(IllegalArgumentException.class,
                () -> BrokerArgs.parse("--cluster", cluster, "--node-id", "3", "--log-dir", "d"));
        assertThrows(IllegalArgumentException.class,
                () -> BrokerArgs.parse("--cluster", cluster, "--node-id", "1", "--port", "1", "--log-dir", "d"));
        assertThrows(IllegalArgumentException.class, () -> BrokerArgs.parse("--node-id", "1", "--log-dir", "d"));
    }

    @Test
    void shouldChooseTwoDifferentFreePortsWhenZeroIsAsked() {
        final BrokerArgs resolved = BrokerArgs.parse("--log-dir", "d").withFreePorts();

        assertTrue(resolved.port() > 0);
        assertTrue(resolved.controllerPort() > 0);
        assertNotEquals(resolved.port(), resolved.controllerPort());
    }

    @Test
    void shouldKeepGivenPortsWhenTheyAreNotZero() {
        final BrokerArgs resolved = BrokerArgs.parse("--port", "19092", "--log-dir", "d").withFreePorts();

        assertEquals(19092, resolved.port());
        assertNotEquals(0, resolved.controllerPort());
    }
}
