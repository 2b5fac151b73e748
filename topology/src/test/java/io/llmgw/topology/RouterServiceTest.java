package io.llmgw.topology;

import io.llmgw.settings.Settings;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RouterServiceTest {

    @Test
    void shouldUseDocumentedDefaultsWhenNothingIsSet() {
        final Properties props = RouterService.streamsProperties(Settings.of(Map.of()));

        assertEquals("llm-router", props.get(StreamsConfig.APPLICATION_ID_CONFIG));
        assertEquals(1, props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "llmgw-state").toString(),
                props.get(StreamsConfig.STATE_DIR_CONFIG));
        assertEquals("localhost:9092", props.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
        assertEquals(0, props.get("producer.linger.ms"));
        assertEquals(6_000, props.get("main.consumer.session.timeout.ms"));
        assertEquals(1_500, props.get("main.consumer.heartbeat.interval.ms"));
    }

    @Test
    void shouldTakeItsSessionFromTheSettingWhenOneIsGiven() {
        final Properties props = RouterService.streamsProperties(Settings.of(Map.of("ROUTER_SESSION_TIMEOUT", "10")));

        assertEquals(10_000, props.get("main.consumer.session.timeout.ms"));
        assertEquals(2_500, props.get("main.consumer.heartbeat.interval.ms"));
    }

    @Test
    void shouldFollowSettingsWhenTheyAreGiven() {
        final Properties props = RouterService.streamsProperties(Settings.of(Map.of(
                "TOPIC_PREFIX", "team-a",
                "ROUTER_THREADS", "3",
                "STATE_DIR", "/var/lib/llmgw",
                "BOOTSTRAP_SERVERS", "kafka:9092")));

        assertEquals("team-a-router", props.get(StreamsConfig.APPLICATION_ID_CONFIG));
        assertEquals(3, props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
        assertEquals("/var/lib/llmgw", props.get(StreamsConfig.STATE_DIR_CONFIG));
        assertEquals("kafka:9092", props.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
    }

    @Test
    void shouldPreferAnExplicitApplicationIdWhenOneIsSet() {
        final Properties props = RouterService.streamsProperties(Settings.of(Map.of(
                "TOPIC_PREFIX", "team-a", "ROUTER_APPLICATION_ID", "custom-router")));

        assertEquals("custom-router", props.get(StreamsConfig.APPLICATION_ID_CONFIG));
    }
}
