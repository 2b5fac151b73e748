package io.llmgw.app.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code .env.example} documents every variable the application reads, and nothing that nobody reads. */
class EnvExampleTest {

    private static final List<String> COMPOSE_FILES = List.of("docker-compose.yml", "docker-compose.k8s.yml",
            "docker-compose.llm.yml");

    private static Path root;
    private static SettingsReads reads;
    private static Map<String, String> entries;

    @BeforeAll
    static void readRepository() {
        root = RepositoryFiles.root();
        reads = SettingsReads.scan(root);
        entries = RepositoryFiles.envExample(root);
    }

    @Test
    void shouldFindTheSettingsOfEveryModuleWhenScanningTheSources() {
        // one name per module, each read a different way: a literal, a constant, System.getenv, a constant elsewhere
        assertTrue(reads.names().containsAll(Set.of("WORKER_THREADS", "GATEWAY_PORT", "BOOTSTRAP_SERVERS",
                "SIM_TTFT_MS", "LLMGW_BROKER_PORT", "LLMGW_BROKER_LIB", "HOSTNAME", "OPS_PORT", "LOG_FORMAT",
                "ROUTER_APPLICATION_ID", "MODELS_FILE")), reads.names().toString());
        assertTrue(SettingsReads.isKafkaClientProperty("KAFKA_SASL_JAAS_CONFIG"));
        assertTrue(!SettingsReads.isKafkaClientProperty("KAFKA_REQUEST_TOPIC"), "not a client property");
    }

    @Test
    void shouldDocumentEveryVariableTheApplicationReads() {
        final Set<String> missing = new TreeSet<>(reads.names());
        missing.removeAll(entries.keySet());
        assertEquals(Set.of(), missing, ".env.example lacks variables the application reads");
    }

    @Test
    void shouldDocumentOnlyVariablesTheApplicationOrAComposeFileReads() {
        final Set<String> interpolated = new TreeSet<>();
        COMPOSE_FILES.forEach(file -> interpolated.addAll(
                RepositoryFiles.interpolated(RepositoryFiles.text(root.resolve(file)))));
        final Set<String> stale = new TreeSet<>();
        entries.keySet().forEach(name -> {
            if (!reads.reads(name) && !interpolated.contains(name)) {
                stale.add(name);
            }
        });
        assertEquals(Set.of(), stale, ".env.example documents variables nothing reads");
    }

    @Test
    void shouldExplainEveryEntryWithACommentAboveIt() {
        final Set<String> unexplained = new TreeSet<>();
        entries.forEach((name, comment) -> {
            if (comment.isBlank()) {
                unexplained.add(name);
            }
        });
        assertEquals(Set.of(), unexplained, ".env.example entries without a comment");
    }
}
