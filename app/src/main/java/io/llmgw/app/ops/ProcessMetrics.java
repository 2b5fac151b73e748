package io.llmgw.app.ops;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The process's one Prometheus registry: JVM and process metrics, the Kafka Streams metrics of every Streams instance
 * handed to {@link #bind(KafkaStreams)} (their consumers, producers and admin clients included), and every llmgw meter
 * registered into it. Timers named {@code llmgw.*} are published as histograms with {@link #LATENCY_BUCKETS}, so that
 * Prometheus can compute quantiles over many instances.
 */
public final class ProcessMetrics implements AutoCloseable {

    /** Bucket bounds of every llmgw latency histogram: from a fast Kafka hop to a long generation. */
    public static final List<Duration> LATENCY_BUCKETS = List.of(
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(300), Duration.ofSeconds(600));

    private static final Logger LOG = LoggerFactory.getLogger(ProcessMetrics.class);

    private final PrometheusMeterRegistry registry;
    private final List<AutoCloseable> binders = new CopyOnWriteArrayList<>();

    private ProcessMetrics(final PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    /** A registry with the latency buckets configured and the JVM, process and system binders bound. */
    public static ProcessMetrics start() {
        final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // before any meter exists: a filter applies only to meters registered after it
        registry.config().meterFilter(latencyHistograms());
        final ProcessMetrics metrics = new ProcessMetrics(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        final JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        metrics.binders.add(gc);
        return metrics;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Exports a Streams instance's metrics ({@code kafka_stream_*}, {@code kafka_consumer_*}, ...) until close. */
    public void bind(final KafkaStreams streams) {
        final KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        binders.add(streamsMetrics);
    }

    /** The Prometheus text exposition of everything registered. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        final List<AutoCloseable> reversed = new ArrayList<>(binders);
        Collections.reverse(reversed);
        for (final AutoCloseable binder : reversed) {
            try {
                binder.close();
            } catch (final Exception e) {
                LOG.debug("closing a metrics binder failed", e);
            }
        }
        binders.clear();
        registry.close();
    }

    private static MeterFilter latencyHistograms() {
        final double[] bounds = LATENCY_BUCKETS.stream().mapToDouble(Duration::toNanos).toArray();
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(final Meter.Id id, final DistributionStatisticConfig config) {
                if (id.getType() == Meter.Type.TIMER && id.getName().startsWith("llmgw.")) {
                    // timers' bounds are in nanoseconds; the registry exports them in seconds
                    return DistributionStatisticConfig.builder().serviceLevelObjectives(bounds).build().merge(config);
                }
                return config;
            }
        };
    }
}
