package io.llmgw.gateway;

import io.llmgw.batches.BatchCancel;
import io.llmgw.batches.BatchRecord;
import io.llmgw.runtime.CompactedTopicReader;
import io.llmgw.runtime.ProcessFailure;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every batch of the deployment and every cancel asked for, read from {@code <prefix>.batches} and
 * {@code <prefix>.batch-cancels} (both compacted) and followed, so any gateway instance answers
 * {@code GET /v1/batches}; and the one way to write either topic (acknowledged writes: {@link #write} returns once the
 * record is durable). A record replaces the one held only if its {@link BatchRecord#revision()} is not lower, so a
 * snapshot read after a newer one the writer already put here never undoes it.
 *
 * <p>Threading: the two reader threads ({@code llmgw-batch-directory}, {@code llmgw-batch-cancels}) and the writers
 * ({@link #write}: handler threads for a new batch, the batch's run thread after that) update the maps with atomic
 * {@code merge}/{@code put}; everyone else only reads them.
 */
final class BatchDirectory implements AutoCloseable {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    private final Producer<byte[], byte[]> producer;
    private final Topic<String, BatchRecord> batchesTopic;
    private final Topic<String, BatchCancel> cancelsTopic;
    private final Map<String, BatchRecord> batches = new ConcurrentHashMap<>();
    private final Map<String, BatchCancel> cancels = new ConcurrentHashMap<>();
    private volatile CompactedTopicReader batchReader;
    private volatile CompactedTopicReader cancelReader;

    private BatchDirectory(final Producer<byte[], byte[]> producer, final Topics topics) {
        this.producer = producer;
        this.batchesTopic = topics.batches();
        this.cancelsTopic = topics.batchCancels();
    }

    static BatchDirectory start(final Settings settings, final GatewayConfig config, final ProcessFailure failure) {
        final Map<String, Object> producerProps = KafkaClientProps.producer(settings);
        producerProps.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "llmgw-batches-" + config.gatewayId());
        final BatchDirectory directory = new BatchDirectory(new KafkaProducer<>(producerProps,
                new ByteArraySerializer(), new ByteArraySerializer()), config.topics());
        directory.batchReader = CompactedTopicReader.start(consumer(settings, "llmgw-batch-directory-"
                + config.gatewayId()), directory.batchesTopic.name(), "batch directory", directory::applyBatch, failure);
        directory.cancelReader = CompactedTopicReader.start(consumer(settings, "llmgw-batch-cancels-"
                + config.gatewayId()), directory.cancelsTopic.name(), "batch cancels", directory::applyCancel, failure);
        return directory;
    }

    boolean isLoaded() {
        return batchReader != null && batchReader.isLoaded() && cancelReader != null && cancelReader.isLoaded();
    }

    long unreadable() {
        return batchReader.unreadable() + cancelReader.unreadable();
    }

    Optional<BatchRecord> find(final String id) {
        return Optional.ofNullable(batches.get(id));
    }

    Collection<BatchRecord> all() {
        return batches.values();
    }

    Optional<BatchCancel> cancelOf(final String id) {
        return Optional.ofNullable(cancels.get(id));
    }

    /** Writes the batch's record (keyed by its id: the partition decides which gateway drives it) and keeps it here. */
    void write(final BatchRecord record) throws IOException {
        send(batchesTopic.name(), record.id(), batchesTopic.valueSerde().encode(record));
        keep(record);
    }

    void cancel(final BatchCancel cancel) throws IOException {
        send(cancelsTopic.name(), cancel.batchId(), cancelsTopic.valueSerde().encode(cancel));
        cancels.put(cancel.batchId(), cancel);
    }

    @Override
    public void close() {
        if (batchReader != null) {
            batchReader.close();
        }
        if (cancelReader != null) {
            cancelReader.close();
        }
        producer.close(Duration.ofSeconds(5));
    }

    private void keep(final BatchRecord record) {
        batches.merge(record.id(), record, (held, next) -> next.revision() >= held.revision() ? next : held);
    }

    private void send(final String topic, final String key, final byte[] value) throws IOException {
        try {
            producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value))
                    .get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException e) {
            throw new IOException("Kafka did not store the batch: " + e.getCause().getMessage(), e.getCause());
        } catch (final TimeoutException e) {
            throw new IOException("Kafka did not acknowledge the batch within " + ACK_TIMEOUT.toSeconds() + " s", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing the batch", e);
        } catch (final KafkaException e) {
            throw new IOException("Kafka did not accept the batch: " + e.getMessage(), e);
        }
    }

    private void applyBatch(final String id, final byte[] value) {
        if (value == null) {
            batches.remove(id);
            return;
        }
        switch (batchesTopic.valueSerde().decode(value)) {
            case Decoded.Ok<BatchRecord> ok when id.equals(ok.value().id()) -> keep(ok.value());
            case Decoded.Ok<BatchRecord> ok -> throw new CompactedTopicReader.Unusable("record key " + id
                    + " holds batch " + ok.value().id());
            case Decoded.Failed<BatchRecord> failed -> throw new CompactedTopicReader.Unusable(failed.reason());
        }
    }

    private void applyCancel(final String id, final byte[] value) {
        if (value == null) {
            cancels.remove(id);
            return;
        }
        switch (cancelsTopic.valueSerde().decode(value)) {
            case Decoded.Ok<BatchCancel> ok when id.equals(ok.value().batchId()) -> cancels.put(id, ok.value());
            case Decoded.Ok<BatchCancel> ok -> throw new CompactedTopicReader.Unusable("record key " + id
                    + " cancels batch " + ok.value().batchId());
            case Decoded.Failed<BatchCancel> failed -> throw new CompactedTopicReader.Unusable(failed.reason());
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(final Settings settings, final String clientId) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }
}
