package io.llmgw.app.broker;

import io.llmgw.settings.Settings;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddedKafkaTest {

    private static final Path DATA = Path.of("/var/tmp/llmgw/kafka");
    private static final Path LIB = Path.of("/opt/llmgw/broker/target/lib");

    @Test
    void shouldRunTheBrokerMainWithPortsHeapAndDataDirWhenDefaults() {
        final List<String> command = EmbeddedKafka.command(DATA, LIB, EmbeddedKafka.Options.defaults());

        assertTrue(command.getFirst().startsWith(System.getProperty("java.home")), command::toString);
        // a fixed, touched heap: a broker left to size its own heap pauses every few seconds under load
        assertTrue(command.containsAll(List.of("-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch")), command::toString);
        // the project's GC options come before the operator's, so that LLMGW_BROKER_JAVA_OPTS can override them
        assertTrue(command.containsAll(io.llmgw.runtime.JavaOptions.GC), command::toString);
        assertEquals(LIB.toAbsolutePath() + java.io.File.separator + "*", command.get(command.indexOf("-cp") + 1));
        assertEquals(List.of("io.llmgw.broker.KafkaBrokerMain", "--port", "0", "--controller-port", "0",
                "--log-dir", DATA.toAbsolutePath().toString()),
                command.subList(command.indexOf("-cp") + 2, command.size()));
        assertFalse(command.stream().anyMatch(arg -> arg.startsWith("-Dllmgw.broker.log.level")), command::toString);
    }

    @Test
    void shouldAddTheJdk24FlagsOnlyWhenThisJvmIs24OrNewer() {
        final List<String> command = EmbeddedKafka.command(DATA, LIB, EmbeddedKafka.Options.defaults());

        assertEquals(Runtime.version().feature() >= 24, command.contains("--sun-misc-unsafe-memory-access=allow"));
    }

    @Test
    void shouldPassLevelAndOverridesWhenGiven() {
        final EmbeddedKafka.Options options = new EmbeddedKafka.Options(19092, 19093, "128m", "INFO",
                Duration.ofSeconds(5), Duration.ofSeconds(5), Map.of("num.partitions", "3"));

        final List<String> command = EmbeddedKafka.command(DATA, LIB, options);

        assertTrue(command.contains("-Xmx128m"), command::toString);
        assertTrue(command.contains("-Dllmgw.broker.log.level=INFO"), command::toString);
        assertEquals(List.of("--override", "num.partitions=3"), command.subList(command.size() - 2, command.size()));
        assertEquals("19092", command.get(command.indexOf("--port") + 1));
    }

    @Test
    void shouldReadOptionsFromSettingsWhenSet() {
        final EmbeddedKafka.Options options = EmbeddedKafka.Options.from(Settings.of(Map.of(
                "LLMGW_BROKER_PORT", "9092",
                "LLMGW_BROKER_HEAP", "512m",
                "LLMGW_BROKER_START_TIMEOUT", "90")));

        assertEquals(9092, options.port());
        assertEquals(0, options.controllerPort());
        assertEquals("512m", options.maxHeap());
        assertEquals(Duration.ofSeconds(90), options.startTimeout());
    }
}
