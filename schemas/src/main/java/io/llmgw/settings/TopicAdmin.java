package io.llmgw.settings;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.config.TopicConfig;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the project's topics if they are missing; safe to call from every process at every start (a topic that
 * exists is left as it is, whatever its partition count).
 */
public final class TopicAdmin {

    /** Partition counts and replication, from settings with documented defaults. */
    public record TopicLayout(int requestPartitions, int modelPartitions, int eventPartitions,
                              Optional<Short> replicationFactor) {

        public static TopicLayout from(final Settings settings) {
            final int rf = settings.getInt("KAFKA_REPLICATION_FACTOR", -1);
            return new TopicLayout(
                    settings.getInt("REQUEST_PARTITIONS", 6),
                    settings.getInt("MODEL_PARTITIONS", 6),
                    settings.getInt("EVENT_PARTITIONS", 6),
                    rf > 0 ? Optional.of((short) rf) : Optional.empty());
        }
    }

    /** A topic to ensure: name, partitions, extra topic configs. */
    public record Spec(String name, int partitions, Map<String, String> configs) {

        public static Spec of(final String name, final int partitions) {
            return new Spec(name, partitions, Map.of());
        }

        public static Spec compacted(final String name, final int partitions) {
            return new Spec(name, partitions, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        }
    }

    private TopicAdmin() {
    }

    /**
     * The topics every process needs: requests, events (reply partitions), control (one partition: every worker
     * reads all cancels), the compacted model registry and API keys, and the dead-letter topic.
     */
    public static List<Spec> coreTopics(final io.llmgw.schemas.Topics topics, final TopicLayout layout) {
        return List.of(
                Spec.of(topics.requests().name(), layout.requestPartitions()),
                Spec.of(topics.events().name(), layout.eventPartitions()),
                Spec.of(topics.control().name(), 1),
                Spec.compacted(topics.models().name(), 1),
                Spec.compacted(topics.keys().name(), 1),
                Spec.of(topics.dlqName(), 1));
    }

    /**
     * The gateway's topics for limits and usage: reservations and usage records share a partition count, because
     * the limits app reads both by key id and Kafka Streams needs them co-partitioned; decisions have one partition
     * (small records that every gateway reads whole).
     */
    public static List<Spec> limitTopics(final io.llmgw.schemas.Topics topics, final int partitions) {
        return List.of(
                Spec.of(topics.limits().name(), partitions),
                Spec.of(topics.usage().name(), partitions),
                Spec.of(topics.limitDecisions().name(), 1));
    }

    /**
     * The topics of the Files and Batch APIs, which only gateways use: file descriptions, file chunks (one
     * partition: a file is read back by offsets, nothing reads the topic in parallel), batches (as many partitions as
     * the events topic: the gateways that share one share the other, and a partition is the unit a gateway owns
     * batches by) and batch cancels; all compacted.
     */
    public static List<Spec> batchTopics(final io.llmgw.schemas.Topics topics, final TopicLayout layout) {
        return List.of(
                Spec.compacted(topics.files().name(), 1),
                Spec.compacted(topics.fileChunksName(), 1),
                Spec.compacted(topics.batches().name(), layout.eventPartitions()),
                Spec.compacted(topics.batchCancels().name(), 1));
    }

    public static void ensure(final Map<String, Object> adminProps, final TopicLayout layout,
                              final Collection<Spec> topics, final Duration timeout) {
        final Admin admin = Admin.create(adminProps);
        try {
            ensure(admin, layout, topics, timeout);
        } finally {
            // a plain close() waits for calls still pending, up to the 60 s API timeout, when Kafka is unreachable
            admin.close(Duration.ZERO);
        }
    }

    public static void ensure(final Admin admin, final TopicLayout layout, final Collection<Spec> topics,
                              final Duration timeout) {
        final List<NewTopic> newTopics = new ArrayList<>();
        for (final Spec spec : topics) {
            newTopics.add(new NewTopic(spec.name(), Optional.of(spec.partitions()), layout.replicationFactor())
                    .configs(spec.configs()));
        }
        try {
            final Map<String, ?> existing = admin.listTopics().namesToListings().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            newTopics.removeIf(t -> existing.containsKey(t.name()));
            if (newTopics.isEmpty()) {
                return;
            }
            for (final var entry : admin.createTopics(newTopics).values().entrySet()) {
                try {
                    entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey() + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer while creating topics (is BOOTSTRAP_SERVERS right?): "
                    + e.getMessage(), e);
        }
    }
}
