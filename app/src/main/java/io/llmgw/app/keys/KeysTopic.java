package io.llmgw.app.keys;

import io.llmgw.keys.ApiKey;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.settings.TopicAdmin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code llm.keys} table as the {@code keys} command reads and writes it: read once from the beginning to its end
 * (what the gateways will hold once they read as far), written one record at a time, acknowledged by every in-sync
 * replica before the command says it is done. Used by one thread, the command's.
 */
final class KeysTopic implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Settings settings;
    private final Topic<String, ApiKey> topic;
    private KafkaProducer<String, byte[]> producer;

    KeysTopic(final Settings settings) {
        this.settings = settings;
        this.topic = new Topics(settings.get("TOPIC_PREFIX", Topics.DEFAULT_PREFIX)).keys();
        // the first key of a new cluster may come before any gateway created the topics
        TopicAdmin.ensure(KafkaClientProps.common(settings), TopicAdmin.TopicLayout.from(settings),
                List.of(TopicAdmin.Spec.compacted(topic.name(), 1)), TIMEOUT);
    }

    String name() {
        return topic.name();
    }

    /** Every key by name, as the topic holds them now; records it cannot read are left out. */
    Map<String, ApiKey> read() {
        final Map<String, ApiKey> keys = new TreeMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(KafkaClientProps.consumer(settings),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), TIMEOUT).stream()
                    .map(PartitionInfo::partition).map(p -> new TopicPartition(topic.name(), p)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic.name() + " to its end within " + TIMEOUT);
                }
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    apply(keys, record);
                }
            }
        }
        return keys;
    }

    /** Writes a key and returns once every in-sync replica has it. */
    void write(final ApiKey key) {
        if (producer == null) {
            producer = new KafkaProducer<>(KafkaClientProps.producer(settings), new StringSerializer(),
                    new ByteArraySerializer());
        }
        try {
            producer.send(new ProducerRecord<>(topic.name(), key.name(),
                    topic.valueSerde().serializer().serialize(topic.name(), key))).get(TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing key " + key.name(), e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Kafka did not take key " + key.name() + ": " + e.getMessage(), e);
        }
    }

    private void apply(final Map<String, ApiKey> keys, final ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            keys.remove(record.key());
            return;
        }
        if (topic.valueSerde().decode(record.value()) instanceof Decoded.Ok<ApiKey> ok
                && ok.value().name().equals(record.key())) {
            keys.put(record.key(), ok.value());
        }
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
