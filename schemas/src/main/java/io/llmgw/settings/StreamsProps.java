package io.llmgw.settings;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The configuration of each Kafka Streams app of the project (router, worker, gateway results), built in one way:
 * {@link #forApp} sets the request-path defaults and the cluster settings of {@link KafkaClientProps}, then the app
 * adds what is its own, each app in one method next to its start ({@code RouterService.streamsProperties},
 * {@code WorkerService.streamsProperties}, {@code RequestResults.streamsProperties}). Per-app overrides go there,
 * through {@link #set} or {@link #consumer}: static membership ({@code group.instance.id}), session timeouts, poll
 * intervals. Later calls win.
 *
 * <p>The defaults are for latency: at-least-once (exactly-once would turn the commit interval into latency), a
 * producer without linger, fetches that return when one record is there, no store caching. The poll blocks up to
 * Kafka's default 100 ms: a record that arrives ends it at once, so a shorter one buys no latency and costs an idle
 * app a loop every few milliseconds (10 ms cost the router 4.3% and the results app 3.0% of a core at rest). An empty
 * fetch waits {@link KafkaClientProps#IDLE_FETCH_WAIT_MS} at the broker: the poll loop goes on meanwhile, and a
 * partition a rebalance adds is fetched when that fetch returns, at most that much later.
 */
public final class StreamsProps {

    /** Where the Streams apps of a process keep their state, each in its own directory below it. */
    public static final String STATE_DIR = "STATE_DIR";
    /** Partition replicas of the topics Streams creates (changelogs, repartitions); -1 is the broker's default. */
    public static final String REPLICATION_FACTOR = "KAFKA_REPLICATION_FACTOR";

    private final Map<String, Object> props = new LinkedHashMap<>();

    private StreamsProps() {
    }

    /** {@code STATE_DIR}, default {@code <java.io.tmpdir>/llmgw-state}. */
    public static Path stateRoot(final Settings settings) {
        return Path.of(settings.get(STATE_DIR, Path.of(System.getProperty("java.io.tmpdir"), "llmgw-state").toString()));
    }

    /** The shared defaults for the Streams app (consumer group) {@code applicationId}, cluster settings included. */
    public static StreamsProps forApp(final Settings settings, final String applicationId) {
        final StreamsProps streams = new StreamsProps();
        streams.set(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        streams.set(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        streams.set(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
        streams.set(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        streams.set(StreamsConfig.producerPrefix(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG), true);
        streams.consumer(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
        streams.consumer(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, KafkaClientProps.IDLE_FETCH_WAIT_MS);
        streams.set(StreamsConfig.POLL_MS_CONFIG, 100);
        streams.set(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        streams.set(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        streams.set(StreamsConfig.REPLICATION_FACTOR_CONFIG, settings.getInt(REPLICATION_FACTOR, -1));
        streams.set(StreamsConfig.STATE_DIR_CONFIG, stateRoot(settings).toString());
        // a record Kafka refuses as too large is skipped, not retried by thread after thread
        streams.set(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                io.llmgw.runtime.StreamsFailurePolicy.SkipOversizedRecords.class.getName());
        // bootstrap servers and KAFKA_* client properties: the operator's word beats the defaults above
        KafkaClientProps.common(settings).forEach(streams::set);
        return streams;
    }

    /** Stream threads of this instance. */
    public StreamsProps threads(final int threads) {
        return set(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    }

    /** This app's own state directory (default: {@link #stateRoot}). */
    public StreamsProps stateDir(final Path dir) {
        return set(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
    }

    /** Any Streams (or client) property, replacing the default. */
    public StreamsProps set(final String name, final Object value) {
        props.put(name, value);
        return this;
    }

    /** A property of the app's consumers only ({@code consumer.} prefix): it wins over a plain client property. */
    public StreamsProps consumer(final String name, final Object value) {
        return set(StreamsConfig.consumerPrefix(name), value);
    }

    public Properties toProperties() {
        final Properties properties = new Properties();
        properties.putAll(props);
        return properties;
    }
}
