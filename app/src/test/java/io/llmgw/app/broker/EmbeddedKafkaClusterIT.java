package io.llmgw.app.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node of {@code ./llmgw kafka} that cannot start says why in its own words. Three nodes that replicate, stop together
 * and start again on their data (a killed one's included) are tried in {@link BrokerKillIT}, which has them already.
 */
class EmbeddedKafkaClusterIT {

    @TempDir
    Path dataDir;

    private static EmbeddedKafkaCluster.Options options(final int nodes, final int port) {
        return new EmbeddedKafkaCluster.Options(nodes, port, "256m", "", Duration.ofSeconds(120),
                Duration.ofSeconds(30), Map.of());
    }

    @Test
    void shouldQuoteTheNodesOwnWordsWhenItsPortIsTaken() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EmbeddedKafkaCluster.start(dataDir, BrokerLib.locate(), options(1, taken.getLocalPort())));

            assertTrue(e.getMessage().contains("Kafka node 1 exited with code"), e.getMessage());
            assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
        }
    }
}
