package io.llmgw.gateway;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayMetricsTest {

    @Test
    void shouldExportTheLimitChecksP50AndP99EvenWhereTimersGetLatencyBuckets() {
        final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // as the launcher's registry does for llmgw timers (ProcessMetrics): buckets, which drop a timer's quantiles
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(final Meter.Id id, final DistributionStatisticConfig config) {
                return id.getType() == Meter.Type.TIMER
                        ? DistributionStatisticConfig.builder().serviceLevelObjectives(5e6, 1e7).build().merge(config)
                        : config;
            }
        });
        final GatewayMetrics metrics = new GatewayMetrics(registry);

        metrics.recordLimitCheck(Duration.ofMillis(3));

        final String scrape = registry.scrape();
        assertTrue(scrape.contains("llmgw_gateway_limit_check_seconds{quantile=\"0.5\"}"), scrape);
        assertTrue(scrape.contains("llmgw_gateway_limit_check_seconds{quantile=\"0.99\"}"), scrape);
        assertTrue(scrape.contains("llmgw_gateway_limit_check_seconds_count 1"), scrape);
    }
}
