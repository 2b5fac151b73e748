package io.llmgw.simulator;

import io.llmgw.settings.Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatorConfigTest {

    @Test
    void shouldUseDocumentedDefaultsWhenNothingIsSet() {
        final SimulatorConfig config = SimulatorConfig.defaults();
        assertEquals("127.0.0.1", config.host());
        assertEquals(0, config.port());
        assertEquals(Duration.ofMillis(20), config.ttft());
        assertEquals(50, config.tokensPerSecond());
        assertEquals(0, config.jitter());
        assertEquals(64, config.maxTokens());
        assertEquals(0, config.payloadBytes());
        assertEquals(List.of("Qwen/Qwen2.5-72B-Instruct-AWQ", "gpt-4o-mini"), config.models());
    }

    @Test
    void shouldReadEveryKnobWhenSet() {
        final SimulatorConfig config = SimulatorConfig.from(Settings.of(Map.of(
                "SIM_HOST", "0.0.0.0", "SIM_PORT", "8111", "SIM_TTFT_MS", "250", "SIM_TOKENS_PER_SECOND", "12.5",
                "SIM_JITTER", "0.3", "SIM_MAX_TOKENS", "16", "SIM_PAYLOAD_BYTES", "4096",
                "SIM_MODELS", "a, b ,c", "SIM_RECENT_REQUESTS", "7")));
        assertEquals(new SimulatorConfig("0.0.0.0", 8111, Duration.ofMillis(250), 12.5, 0.3, 16, 4096,
                List.of("a", "b", "c"), 7), config);
    }

    @Test
    void shouldRejectJitterAboveOneWhenConfigured() {
        final IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> SimulatorConfig.from(Settings.of(Map.of("SIM_JITTER", "1.5"))));
        assertTrue(error.getMessage().contains("SIM_JITTER"), error.getMessage());
    }
}
