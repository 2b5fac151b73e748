package io.llmgw.settings;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StreamsPropsTest {

    @Test
    void shouldSetLatencySettingsExplicitlyWhenBuiltWithDefaults() {
        final Properties props = StreamsProps.forApp(Settings.of(Map.of()), "app").toProperties();

        assertEquals("app", props.get("application.id"));
        assertEquals(0, props.get("producer.linger.ms"));
        assertEquals(1, props.get("consumer.fetch.min.bytes"));
        assertEquals(100, props.get("poll.ms"), "a record ends a poll at once; a shorter one only burns an idle app");
        assertEquals(0, props.get("statestore.cache.max.bytes"));
        assertEquals("at_least_once", props.get("processing.guarantee"));
        assertEquals(-1, props.get("replication.factor"));
        assertEquals(KafkaClientProps.DEFAULT_BOOTSTRAP, props.get("bootstrap.servers"));
    }

    @Test
    void shouldCarryTheClusterSettingsWhenTheEnvironmentGivesThem() {
        final Properties props = StreamsProps.forApp(Settings.of(Map.of("BOOTSTRAP_SERVERS", "kafka:9092",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_REPLICATION_FACTOR", "3")), "app").toProperties();

        assertEquals("kafka:9092", props.get("bootstrap.servers"));
        assertEquals("SASL_SSL", props.get("security.protocol"));
        assertEquals(3, props.get("replication.factor"));
    }

    @Test
    void shouldLetTheAppOverrideADefaultWhenItSetsOneLater() {
        final Properties props = StreamsProps.forApp(Settings.of(Map.of()), "app")
                .threads(3)
                .set("poll.ms", 1)
                .consumer("session.timeout.ms", 10_000)
                .set("group.instance.id", "worker-1")
                .toProperties();

        assertEquals(3, props.get("num.stream.threads"));
        assertEquals(1, props.get("poll.ms"));
        assertEquals(10_000, props.get("consumer.session.timeout.ms"));
        assertEquals("worker-1", props.get("group.instance.id"));
    }

    @Test
    void shouldKeepStateUnderStateDirWhenItIsSetElseUnderTheTempDir() {
        assertEquals(Path.of("/var/lib/llmgw"), StreamsProps.stateRoot(Settings.of(Map.of("STATE_DIR", "/var/lib/llmgw"))));
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "llmgw-state"),
                StreamsProps.stateRoot(Settings.of(Map.of())));
        assertEquals(StreamsProps.stateRoot(Settings.of(Map.of())).toString(),
                StreamsProps.forApp(Settings.of(Map.of()), "app").toProperties().get("state.dir"));
        assertEquals("/data/worker-1", StreamsProps.forApp(Settings.of(Map.of()), "app")
                .stateDir(Path.of("/data/worker-1")).toProperties().get("state.dir"));
    }
}
