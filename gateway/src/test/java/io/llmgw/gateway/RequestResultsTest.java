package io.llmgw.gateway;

import io.llmgw.settings.Settings;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RequestResultsTest {

    @Test
    void shouldJoinTheSharedResultsGroupAndAdvertiseItsOwnAddressWhenConfigured() {
        final Settings settings = Settings.of(Map.of("GATEWAY_ID", "gw-7", "TOPIC_PREFIX", "t",
                "BOOTSTRAP_SERVERS", "kafka:9092"));

        final Properties props = RequestResults.streamsProperties(settings, GatewayConfig.from(settings),
                new HostInfo("10.0.0.7", 8000), Path.of("/state/gateway-gw-7"));

        assertEquals("t-gateway-results", props.get("application.id"));
        assertEquals("llmgw-gateway-results-gw-7", props.get("client.id"));
        assertEquals("10.0.0.7:8000", props.get("application.server"));
        assertEquals("/state/gateway-gw-7", props.get("state.dir"));
        assertEquals(1, props.get("num.stream.threads"));
        assertEquals(0, props.get("producer.linger.ms"), "the shared request-path defaults");
        assertEquals("kafka:9092", props.get("bootstrap.servers"));
    }
}
