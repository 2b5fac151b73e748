package io.llmgw.app.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BrokerLibTest {

    @TempDir
    Path repo;

    @Test
    void shouldPreferThePropertyWhenPropertyAndEnvAreSet() throws IOException {
        final Path fromProperty = brokerLib(repo.resolve("p"));
        final Path fromEnv = brokerLib(repo.resolve("e"));

        assertEquals(fromProperty, BrokerLib.locate(fromProperty.toString(), fromEnv.toString(), repo, Optional.empty()));
        assertEquals(fromEnv, BrokerLib.locate(" ", fromEnv.toString(), repo, Optional.empty()));
    }

    @Test
    void shouldFindTheBuildOutputWhenRunFromTheRepoOrAModuleDir() throws IOException {
        final Path lib = brokerLib(repo.resolve(BrokerLib.BUILD_OUTPUT));

        assertEquals(lib, BrokerLib.locate(null, null, repo, Optional.empty()));
        assertEquals(lib, BrokerLib.locate(null, null, repo.resolve("app"), Optional.empty()));
    }

    @Test
    void shouldFindTheBuildOutputFromTheAppJarWhenRunFromElsewhere(@TempDir final Path elsewhere) throws IOException {
        final Path lib = brokerLib(repo.resolve(BrokerLib.BUILD_OUTPUT));
        final Path appJar = repo.resolve("app/target/lib/app-0.1.0-SNAPSHOT.jar");

        assertEquals(lib, BrokerLib.locate(null, null, elsewhere, Optional.of(appJar)));
    }

    @Test
    void shouldNameTheSettingWhenAnExplicitDirIsWrong() {
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BrokerLib.locate(null, repo.resolve("missing").toString(), repo, Optional.empty()));

        assertTrue(e.getMessage().contains(BrokerLib.ENV), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void shouldRejectADirWithoutTheBrokerJarWhenItIsGiven() throws IOException {
        final Path empty = Files.createDirectories(repo.resolve("empty"));

        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BrokerLib.require(empty, "test"));

        assertTrue(e.getMessage().contains("broker-*.jar"), e.getMessage());
    }

    @Test
    void shouldExplainHowToBuildWhenNothingIsFound(@TempDir final Path elsewhere) {
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BrokerLib.locate(null, null, elsewhere, Optional.empty()));

        assertTrue(e.getMessage().contains("./mvnw -pl broker package"), e.getMessage());
    }

    private static Path brokerLib(final Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.createFile(dir.resolve("broker-0.1.0-SNAPSHOT.jar"));
        return dir;
    }
}
