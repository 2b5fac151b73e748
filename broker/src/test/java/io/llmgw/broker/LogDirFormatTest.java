package io.llmgw.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogDirFormatTest {

    @TempDir
    Path tmp;

    @Test
    void shouldFormatWithAClusterIdWhenDirIsNew() throws IOException {
        final Path logDir = tmp.resolve("kafka");

        assertTrue(LogDirFormat.formatIfNeeded(logDir, config(logDir), Optional.empty()));

        assertTrue(LogDirFormat.isFormatted(logDir));
        assertNotNull(clusterId(logDir));
    }

    @Test
    void shouldKeepTheClusterWhenDirIsAlreadyFormatted() throws IOException {
        final Path logDir = tmp.resolve("kafka");
        LogDirFormat.formatIfNeeded(logDir, config(logDir), Optional.empty());
        final String clusterId = clusterId(logDir);

        assertFalse(LogDirFormat.formatIfNeeded(logDir, config(logDir), Optional.empty()));

        assertEquals(clusterId, clusterId(logDir));
    }

    @Test
    void shouldFormatWithTheGivenClusterIdWhenNodesOfOneClusterShareIt() throws IOException {
        final String shared = "q1Sh4xVNQWm5HxOYGMy1Ag";
        final Path first = tmp.resolve("node-1");
        final Path second = tmp.resolve("node-2");

        LogDirFormat.formatIfNeeded(first, config(first), Optional.of(shared));
        LogDirFormat.formatIfNeeded(second, config(second), Optional.of(shared));

        assertEquals(shared, clusterId(first));
        assertEquals(shared, clusterId(second));
    }

    @Test
    void shouldReportNotFormattedWhenDirIsMissing() {
        assertFalse(LogDirFormat.isFormatted(tmp.resolve("nothing-here")));
    }

    private static Properties config(final Path logDir) {
        return NodeConfig.of(new BrokerArgs(19092, 19093, logDir, Map.of()));
    }

    private static String clusterId(final Path logDir) throws IOException {
        final Properties meta = new Properties();
        try (var in = Files.newInputStream(logDir.resolve(LogDirFormat.META_PROPERTIES))) {
            meta.load(in);
        }
        return meta.getProperty("cluster.id");
    }
}
