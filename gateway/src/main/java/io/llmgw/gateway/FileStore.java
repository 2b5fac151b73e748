package io.llmgw.gateway;

import io.llmgw.batches.StoredFile;
import io.llmgw.runtime.CompactedTopicReader;
import io.llmgw.runtime.ProcessFailure;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Files in Kafka, so that any gateway instance serves any file: the content as chunks of at most {@value #CHUNK_BYTES}
 * bytes on {@code <prefix>.file-chunks} (each chunk a record of its own, under Kafka's default 1 MiB record limit),
 * then the file's description ({@link StoredFile}, with the chunks' offsets) on {@code <prefix>.files}. The
 * description is written last: a file exists once its content is durable. Both topics are compacted and every key
 * is unique, so nothing expires; a delete writes tombstones for the description and every chunk.
 *
 * <p>Threading: the directory's reader thread ({@code llmgw-file-directory}) is the only writer of {@code files}
 * besides {@link #store} and {@link #delete}, which put and remove the entries they wrote (so the instance that
 * answered an upload finds the file at once). HTTP handlers and batch runs call everything else concurrently: the
 * producer is thread-safe, and each content read opens a consumer of its own.
 */
final class FileStore implements AutoCloseable {

    static final int CHUNK_BYTES = 512 * 1024;

    /** What an upload became. */
    sealed interface Upload {
        record Stored(StoredFile file) implements Upload {
        }

        /** Over a limit: nothing of it is kept. */
        record TooLarge(String message, boolean lines) implements Upload {
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration READ_STALL = Duration.ofSeconds(30);

    private final Producer<byte[], byte[]> producer;
    private final Map<String, Object> consumerProps;
    private final Topic<String, StoredFile> topic;
    private final String chunks;
    private final Map<String, StoredFile> files = new ConcurrentHashMap<>();
    private volatile CompactedTopicReader reader;

    private FileStore(final Producer<byte[], byte[]> producer, final Map<String, Object> consumerProps,
                      final Topics topics) {
        this.producer = producer;
        this.consumerProps = consumerProps;
        this.topic = topics.files();
        this.chunks = topics.fileChunksName();
    }

    static FileStore start(final Settings settings, final GatewayConfig config, final ProcessFailure failure) {
        final Map<String, Object> producerProps = KafkaClientProps.producer(settings);
        producerProps.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "llmgw-files-" + config.gatewayId());
        final Map<String, Object> consumerProps = KafkaClientProps.consumer(settings);
        final FileStore store = new FileStore(new KafkaProducer<>(producerProps, new ByteArraySerializer(),
                new ByteArraySerializer()), consumerProps, config.topics());
        final Map<String, Object> directoryProps = KafkaClientProps.consumer(settings);
        directoryProps.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-file-directory-" + config.gatewayId());
        store.reader = CompactedTopicReader.start(new KafkaConsumer<>(directoryProps, new StringDeserializer(),
                new ByteArrayDeserializer()), store.topic.name(), "file directory", store::apply, failure);
        return store;
    }

    static String newId() {
        final byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return "file-" + java.util.HexFormat.of().formatHex(bytes);
    }

    boolean isLoaded() {
        final CompactedTopicReader current = reader;
        return current != null && current.isLoaded();
    }

    long unreadable() {
        return reader.unreadable();
    }

    Optional<StoredFile> find(final String id) {
        return Optional.ofNullable(files.get(id));
    }

    Collection<StoredFile> all() {
        return files.values();
    }

    /**
     * Stores {@code content} as file {@code id}, refusing it (and tombstoning what was written) once it passes
     * {@code maxBytes} or {@code maxLines} non-empty lines.
     */
    Upload store(final String id, final String filename, final String purpose, final InputStream content,
                 final String keyId, final long maxBytes, final long maxLines) throws IOException {
        final List<Future<RecordMetadata>> sent = new ArrayList<>();
        final LineCount lines = new LineCount();
        long bytes = 0;
        final byte[] buffer = new byte[CHUNK_BYTES];
        while (true) {
            final int filled = content.readNBytes(buffer, 0, CHUNK_BYTES);
            if (filled == 0) {
                break;
            }
            bytes += filled;
            lines.add(buffer, filled);
            if (bytes > maxBytes || lines.lines() > maxLines) {
                tombstoneChunks(id, sent.size());
                return bytes > maxBytes
                        ? new Upload.TooLarge("The file is larger than the limit of " + maxBytes + " bytes.", false)
                        : new Upload.TooLarge("The file has more than the limit of " + maxLines + " lines.", true);
            }
            final byte[] chunk = java.util.Arrays.copyOf(buffer, filled);
            sent.add(send(chunks, StoredFile.chunkKey(id, sent.size()), chunk));
        }
        final List<Long> offsets = new ArrayList<>();
        for (final Future<RecordMetadata> future : sent) {
            offsets.add(await(future).offset());
        }
        final StoredFile file = new StoredFile(id, bytes, System.currentTimeMillis() / 1000, filename, purpose,
                lines.finish(), 0, offsets, keyId);
        await(send(topic.name(), id, topic.valueSerde().encode(file)));
        files.put(id, file);
        return new Upload.Stored(file);
    }

    /** Stores content the gateway made itself (a batch's output), whole, under a given id. */
    StoredFile storeBytes(final String id, final String filename, final byte[] content, final String keyId)
            throws IOException {
        final Upload upload = store(id, filename, StoredFile.PURPOSE_BATCH_OUTPUT,
                new java.io.ByteArrayInputStream(content), keyId, Long.MAX_VALUE, Long.MAX_VALUE);
        return ((Upload.Stored) upload).file();
    }

    /** Removes the file everywhere: tombstones for the description, then for every chunk. */
    void delete(final StoredFile file) throws IOException {
        await(send(topic.name(), file.id(), null));
        files.remove(file.id());
        tombstoneChunks(file.id(), file.chunkOffsets().size());
    }

    /** Copies the file's content to {@code out}, chunk by chunk, in order. */
    void copy(final StoredFile file, final OutputStream out) throws IOException {
        forEachChunk(file, chunk -> {
            try {
                out.write(chunk);
            } catch (final IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** Hands the file's chunks to {@code sink} in content order; reads them by offset from the chunks topic. */
    void forEachChunk(final StoredFile file, final java.util.function.Consumer<byte[]> sink) throws IOException {
        if (file.chunkOffsets().isEmpty()) {
            return;
        }
        final TopicPartition partition = new TopicPartition(chunks, file.chunkPartition());
        final Set<Long> wanted = new HashSet<>(file.chunkOffsets());
        final long last = file.chunkOffsets().getLast();
        int index = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, file.chunkOffsets().getFirst());
            long lastProgress = System.nanoTime();
            while (index < file.chunkOffsets().size()) {
                boolean progressed = false;
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (!wanted.contains(record.offset())) {
                        continue;
                    }
                    if (record.offset() != file.chunkOffsets().get(index) || record.value() == null) {
                        throw new IOException("chunk " + index + " of " + file.id() + " is missing");
                    }
                    sink.accept(record.value());
                    index++;
                    progressed = true;
                }
                if (progressed) {
                    lastProgress = System.nanoTime();
                } else if (consumer.position(partition) > last
                        || System.nanoTime() - lastProgress > READ_STALL.toNanos()) {
                    throw new IOException("the content of " + file.id() + " is incomplete (chunk " + index
                            + " not found)");
                }
            }
        } catch (final java.io.UncheckedIOException e) {
            throw e.getCause();
        } catch (final KafkaException e) {
            throw new IOException("reading " + file.id() + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (reader != null) {
            reader.close();
        }
        producer.close(Duration.ofSeconds(5));
    }

    private void tombstoneChunks(final String id, final int count) throws IOException {
        final List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sent.add(send(chunks, StoredFile.chunkKey(id, i), null));
        }
        for (final Future<RecordMetadata> future : sent) {
            await(future);
        }
    }

    private Future<RecordMetadata> send(final String topicName, final String key, final byte[] value)
            throws IOException {
        try {
            return producer.send(new ProducerRecord<>(topicName, 0, key.getBytes(StandardCharsets.UTF_8), value));
        } catch (final KafkaException e) {
            throw new IOException("Kafka did not accept the file: " + e.getMessage(), e);
        }
    }

    private static RecordMetadata await(final Future<RecordMetadata> future) throws IOException {
        try {
            return future.get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException e) {
            throw new IOException("Kafka did not store the file: " + e.getCause().getMessage(), e.getCause());
        } catch (final TimeoutException e) {
            throw new IOException("Kafka did not acknowledge the file within " + ACK_TIMEOUT.toSeconds() + " s", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while storing the file", e);
        }
    }

    private void apply(final String id, final byte[] value) {
        if (value == null) {
            files.remove(id);
            return;
        }
        switch (topic.valueSerde().decode(value)) {
            case Decoded.Ok<StoredFile> ok when id.equals(ok.value().id()) -> files.put(id, ok.value());
            case Decoded.Ok<StoredFile> ok -> throw new CompactedTopicReader.Unusable("record key " + id
                    + " describes file " + ok.value().id());
            case Decoded.Failed<StoredFile> failed -> throw new CompactedTopicReader.Unusable(failed.reason());
        }
    }

    /** Counts non-empty lines across chunk borders. Not thread-safe: one per upload. */
    static final class LineCount {
        private long lines;
        private boolean lineHasContent;

        void add(final byte[] bytes, final int length) {
            for (int i = 0; i < length; i++) {
                final byte b = bytes[i];
                if (b == '\n') {
                    if (lineHasContent) {
                        lines++;
                    }
                    lineHasContent = false;
                } else if (b != '\r' && b != ' ' && b != '\t') {
                    lineHasContent = true;
                }
            }
        }

        /** Lines so far, the one being read included. */
        long lines() {
            return lines + (lineHasContent ? 1 : 0);
        }

        long finish() {
            return lines();
        }
    }
}
