package io.llmgw.gateway;

import io.llmgw.settings.Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BatchConfigTest {

    @Test
    void shouldExpireBatchesAfterOpenAisDayWhenNothingIsSet() {
        final BatchConfig config = BatchConfig.from(Settings.of(Map.of()));

        assertEquals(Duration.ofHours(24), config.completionWindow());
        assertEquals(64, config.window());
    }

    @Test
    void shouldTakeTheCompletionWindowInSecondsWhenTheOperatorSetsIt() {
        assertEquals(Duration.ofMillis(4_500), BatchConfig.from(Settings.of(Map.of(
                BatchConfig.COMPLETION_WINDOW, "4.5"))).completionWindow());
        assertThrows(IllegalArgumentException.class, () -> BatchConfig.from(Settings.of(Map.of(
                BatchConfig.COMPLETION_WINDOW, "0.5"))));
    }
}
