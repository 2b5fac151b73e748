package io.llmgw.app.ops;

import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessMetricsTest {

    private final ProcessMetrics metrics = ProcessMetrics.start();

    @AfterEach
    void close() {
        metrics.close();
    }

    @Test
    void shouldPublishTheLatencyBucketsWhenAnLlmgwTimerRecords() {
        Timer.builder("llmgw.test.latency").tag("model", "m").register(metrics.registry())
                .record(Duration.ofMillis(30));

        final String scrape = metrics.scrape();

        assertTrue(scrape.contains("llmgw_test_latency_seconds_bucket{model=\"m\",le=\"0.025\"} 0"), scrape);
        assertTrue(scrape.contains("llmgw_test_latency_seconds_bucket{model=\"m\",le=\"0.05\"} 1"), scrape);
        assertTrue(scrape.contains("llmgw_test_latency_seconds_bucket{model=\"m\",le=\"600.0\"} 1"), scrape);
        assertTrue(scrape.contains("llmgw_test_latency_seconds_count{model=\"m\"} 1"), scrape);
    }

    @Test
    void shouldLeaveOtherTimersWithoutBucketsWhenTheyAreNotLlmgwOnes() {
        Timer.builder("other.latency").register(metrics.registry()).record(Duration.ofMillis(30));

        final String scrape = metrics.scrape();

        assertTrue(scrape.contains("other_latency_seconds_count 1"), scrape);
        assertFalse(scrape.contains("other_latency_seconds_bucket"), scrape);
    }
}
