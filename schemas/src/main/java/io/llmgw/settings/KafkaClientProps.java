package io.llmgw.settings;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Kafka client properties for every producer, consumer, admin client and Streams instance of the project (Streams
 * apps build theirs with {@link StreamsProps}, which starts from {@link #common}).
 *
 * <p>{@code BOOTSTRAP_SERVERS} names the cluster. Any client property can be given as {@code KAFKA_<NAME>} with dots
 * written as underscores ({@code KAFKA_SECURITY_PROTOCOL=SASL_SSL}, {@code KAFKA_SASL_JAAS_CONFIG=...}), so one image
 * runs against Confluent Cloud, MSK or Strimzi. Names that are no client property (the predecessor's
 * {@code KAFKA_REQUEST_TOPIC}) are ignored. Values are never logged, only names.
 *
 * <p>Latency settings are explicit because the defaults hurt: Streams' producer lingers 100 ms, Kafka 4 clients 5 ms.
 */
public final class KafkaClientProps {

    public static final String BOOTSTRAP_SERVERS = "BOOTSTRAP_SERVERS";
    public static final String DEFAULT_BOOTSTRAP = "localhost:9092";
    private static final String PREFIX = "KAFKA_";
    private static final Logger LOG = LoggerFactory.getLogger(KafkaClientProps.class);

    private KafkaClientProps() {
    }

    /** Bootstrap servers plus every {@code KAFKA_*} client property. */
    public static Map<String, Object> common(final Settings settings) {
        final Map<String, Object> props = new HashMap<>();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.get(BOOTSTRAP_SERVERS, DEFAULT_BOOTSTRAP));
        props.putAll(passthrough(settings));
        return props;
    }

    /** Names of the client properties that came from {@code KAFKA_*} variables (for a start-up log line). */
    public static Set<String> passthroughNames(final Settings settings) {
        return new TreeSet<>(passthrough(settings).keySet());
    }

    /** acks=all and idempotence: the gateway answers only after the broker has the request. No linger. */
    public static Map<String, Object> producer(final Settings settings) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.putAll(common(settings));
        return props;
    }

    /**
     * How long the broker holds a fetch that finds nothing: Kafka's own default. A record that arrives ends the fetch
     * at once ({@code fetch.min.bytes} 1), so this is no latency for a reader whose partitions stay put; it is how
     * often an idle reader asks again. At 100 ms, twelve idle readers of one {@code ./llmgw dev} cost its broker 7 %
     * of a core in fetch handling alone.
     */
    public static final int IDLE_FETCH_WAIT_MS = 500;
    /**
     * For a reader that adds partitions while it runs: a new partition's first fetch waits for the fetch in flight
     * (one per broker), so this bounds how late the first record of an added partition can be.
     */
    public static final int PROMPT_FETCH_WAIT_MS = 100;

    /** A consumer whose partitions stay put once assigned ({@link #IDLE_FETCH_WAIT_MS}). */
    public static Map<String, Object> consumer(final Settings settings) {
        return consumer(settings, IDLE_FETCH_WAIT_MS);
    }

    /** A consumer whose empty fetches return after {@code fetchMaxWaitMs}; {@code KAFKA_FETCH_MAX_WAIT_MS} wins. */
    public static Map<String, Object> consumer(final Settings settings, final int fetchMaxWaitMs) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, fetchMaxWaitMs);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.putAll(common(settings));
        return props;
    }

    private static Map<String, Object> passthrough(final Settings settings) {
        final Set<String> known = new TreeSet<>();
        known.addAll(ProducerConfig.configNames());
        known.addAll(ConsumerConfig.configNames());
        known.addAll(AdminClientConfig.configNames());
        final Map<String, Object> props = new HashMap<>();
        settings.withPrefix(PREFIX).forEach((name, value) -> {
            final String property = name.substring(PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
            if (known.contains(property) && !property.equals(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)) {
                props.put(property, value);
            } else if (!property.equals("replication.factor")) {
                LOG.debug("{} is not a Kafka client property; ignored", name);
            }
        });
        return props;
    }
}
