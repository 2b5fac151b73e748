package io.llmgw.gateway;

import io.llmgw.settings.Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayConfigTest {

    @Test
    void shouldUseTheDocumentedDefaultsWhenNothingIsSet() {
        final GatewayConfig config = GatewayConfig.from(Settings.of(Map.of()));

        assertEquals("0.0.0.0", config.host());
        assertEquals(8000, config.port());
        assertEquals(Set.of(), config.apiKeys());
        assertTrue(config.apiKeys().isEmpty());
        assertEquals(1_000_000, config.maxBodyBytes());
        assertEquals(Duration.ofSeconds(600), config.requestTimeout());
        assertEquals(Duration.ofSeconds(10), config.publishTimeout());
        assertEquals(Duration.ofSeconds(15), config.sseKeepAlive());
        assertEquals(Optional.empty(), config.replyPartitions());
        assertEquals("llm.events", config.topics().events().name());
        assertFalse(config.gatewayId().isBlank());
        assertEquals(Duration.ofHours(1), config.resultRetention());
        assertNotEquals("0.0.0.0", config.advertisedHost(), "a wildcard is no address a peer can call");
    }

    @Test
    void shouldAdvertiseTheBindHostWhenItIsAConcreteAddress() {
        assertEquals("10.1.2.3", GatewayConfig.from(Settings.of(Map.of("GATEWAY_HOST", "10.1.2.3"))).advertisedHost());
    }

    @Test
    void shouldReadEveryVariableWhenSet() {
        final GatewayConfig config = GatewayConfig.from(Settings.of(Map.ofEntries(
                Map.entry("GATEWAY_HOST", "127.0.0.1"),
                Map.entry("GATEWAY_PORT", "0"),
                Map.entry("GATEWAY_API_KEYS", "sk-a, sk-b,,"),
                Map.entry("GATEWAY_MAX_BODY_BYTES", "2048"),
                Map.entry("GATEWAY_REQUEST_TIMEOUT", "1.5"),
                Map.entry("GATEWAY_PUBLISH_TIMEOUT", "0.25"),
                Map.entry("GATEWAY_SSE_KEEPALIVE", "3"),
                Map.entry("GATEWAY_REPLY_PARTITIONS", "0-2,5"),
                Map.entry("GATEWAY_ID", "gw-7"),
                Map.entry("TOPIC_PREFIX", "test"),
                Map.entry("GATEWAY_RESULT_RETENTION", "90"),
                Map.entry("GATEWAY_ADVERTISED_HOST", "gw-7.internal"))));

        assertEquals("127.0.0.1", config.host());
        assertEquals(0, config.port());
        assertEquals(Set.of("sk-a", "sk-b"), config.apiKeys());
        assertFalse(config.apiKeys().isEmpty());
        assertEquals(2048, config.maxBodyBytes());
        assertEquals(Duration.ofMillis(1500), config.requestTimeout());
        assertEquals(Duration.ofMillis(250), config.publishTimeout());
        assertEquals(Duration.ofSeconds(3), config.sseKeepAlive());
        assertEquals("0-2,5", config.replyPartitions().orElseThrow().toString());
        assertEquals("gw-7", config.gatewayId());
        assertEquals("test.requests", config.topics().requests().name());
        assertEquals(Duration.ofSeconds(90), config.resultRetention());
        assertEquals("gw-7.internal", config.advertisedHost());
    }

    @Test
    void shouldNameTheVariableWhenAValueIsInvalid() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GatewayConfig.from(
                Settings.of(Map.of("GATEWAY_REPLY_PARTITIONS", "2-1")))).getMessage()
                .contains("GATEWAY_REPLY_PARTITIONS"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GatewayConfig.from(
                Settings.of(Map.of("GATEWAY_REQUEST_TIMEOUT", "0")))).getMessage()
                .contains("GATEWAY_REQUEST_TIMEOUT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GatewayConfig.from(
                Settings.of(Map.of("GATEWAY_PORT", "70000")))).getMessage().contains("GATEWAY_PORT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GatewayConfig.from(
                Settings.of(Map.of("GATEWAY_MAX_BODY_BYTES", "many")))).getMessage()
                .contains("GATEWAY_MAX_BODY_BYTES"));
    }

    @Test
    void shouldGiveEachInstanceItsOwnIdWhenNoneIsSet() {
        assertNotEquals(GatewayConfig.from(Settings.of(Map.of())).gatewayId(),
                GatewayConfig.from(Settings.of(Map.of())).gatewayId());
    }

    @Test
    void shouldNeverPrintTheApiKeysWhenShown() {
        final String text = GatewayConfig.from(Settings.of(Map.of("GATEWAY_API_KEYS", "sk-secret"))).toString();

        assertFalse(text.contains("sk-secret"), text);
        assertTrue(text.contains("1 key(s)"), text);
    }
}
