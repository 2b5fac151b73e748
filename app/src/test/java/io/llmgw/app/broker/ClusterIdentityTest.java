package io.llmgw.app.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterIdentityTest {

    @TempDir
    Path dataDir;

    @Test
    void shouldGiveTheSameClusterIdWhenTheDataDirIsUsedAgain() {
        final ClusterIdentity first = ClusterIdentity.loadOrCreate(dataDir, 3);

        final ClusterIdentity again = ClusterIdentity.loadOrCreate(dataDir, 3);

        assertEquals(first, again);
        assertEquals(22, first.clusterId().length(), first.clusterId());
        assertTrue(Files.isRegularFile(dataDir.resolve(ClusterIdentity.FILE)));
    }

    @Test
    void shouldGiveEachNewDataDirItsOwnId(@TempDir final Path other) {
        assertTrue(!ClusterIdentity.loadOrCreate(dataDir, 1).clusterId()
                .equals(ClusterIdentity.loadOrCreate(other, 1).clusterId()));
    }

    @Test
    void shouldRefuseAnotherNodeCountWhenTheDirHoldsACluster() {
        ClusterIdentity.loadOrCreate(dataDir, 3);

        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterIdentity.loadOrCreate(dataDir, 1));

        assertTrue(e.getMessage().contains("--nodes 3"), e.getMessage());
    }

    @Test
    void shouldSayWhatIsMissingWhenTheFileIsDamaged() throws IOException {
        Files.writeString(dataDir.resolve(ClusterIdentity.FILE), "nodes=three\n");

        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClusterIdentity.loadOrCreate(dataDir, 3));

        assertTrue(e.getMessage().contains("cluster.id"), e.getMessage());
    }
}
