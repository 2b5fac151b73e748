package io.llmgw.settings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {

    @Test
    void shouldLetTheEnvironmentWinOverDotEnv(@TempDir final Path dir) throws Exception {
        final Path dotEnv = dir.resolve(".env");
        Files.writeString(dotEnv, """
                # comment
                export OPENAI_HOST=http://from-file/v1
                OPENAI_TOKEN="quoted secret"
                GATEWAY_PORT=9000 # trailing comment
                EMPTY=
                """);
        final Settings settings = Settings.load(dotEnv, Map.of("GATEWAY_PORT", "8001"));

        assertEquals("http://from-file/v1", settings.get("OPENAI_HOST").orElseThrow());
        assertEquals("quoted secret", settings.get("OPENAI_TOKEN").orElseThrow());
        assertEquals(8001, settings.getInt("GATEWAY_PORT", 8000));
        assertFalse(settings.get("EMPTY").isPresent());
    }

    @Test
    void shouldParseSecondsWithDecimalsAndLists() {
        final Settings settings = Settings.of(Map.of("T", "1.5", "KEYS", "a, b,,c"));
        assertEquals(Duration.ofMillis(1500), settings.getSeconds("T", Duration.ZERO));
        assertEquals(Duration.ofSeconds(3), settings.getSeconds("MISSING", Duration.ofSeconds(3)));
        assertEquals(List.of("a", "b", "c"), settings.getList("KEYS"));
    }

    @Test
    void shouldNameTheVariableWhenAValueIsInvalid() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Settings.of(Map.of("GATEWAY_PORT", "eighty")).getInt("GATEWAY_PORT", 1));
        assertTrue(e.getMessage().contains("GATEWAY_PORT"));
    }

    @Test
    void shouldMapKafkaVariablesToClientPropertiesAndIgnoreOthers() {
        final Settings settings = Settings.of(Map.of(
                "BOOTSTRAP_SERVERS", "kafka:9092",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_JAAS_CONFIG", "secret-jaas",
                "KAFKA_REQUEST_TOPIC", "chat_requests_generic"));
        final Map<String, Object> props = KafkaClientProps.common(settings);

        assertEquals("kafka:9092", props.get("bootstrap.servers"));
        assertEquals("SASL_SSL", props.get("security.protocol"));
        assertEquals("secret-jaas", props.get("sasl.jaas.config"));
        assertFalse(props.containsKey("request.topic"));
    }
}
