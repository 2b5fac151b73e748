package io.llmgw.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a late chunk was late: before the worker sent it, or after. The worker's producer stamps each event with the
 * wall-clock time of its send (the record's CreateTime), and {@link PacedHost} writes a unique {@code <tag>-<i>} as
 * each chunk's content, so a gap the caller saw can be cut in two: host write to worker send (the host's socket, the
 * worker's read, its scheduler) and worker send to the caller (broker, gateway, the caller's read). This is how the
 * saturated case's remaining tail was found to be the host stand-in's own TCP (Nagle's algorithm), not the path.
 *
 * <p>Not thread-safe: built and read by the case's thread.
 */
final class ChunkTrail {

    /**
     * The gaps that added more than {@code lateMs}, and how many of them grew mostly before the worker's send.
     *
     * @param traced  late gaps whose two chunks were both found on the events topic
     */
    record Split(double lateMs, int traced, int beforeSend, int afterSend) {
    }

    private static final Duration POLL = Duration.ofMillis(500);

    private final Map<String, Long> sentMs;

    private ChunkTrail(final Map<String, Long> sentMs) {
        this.sentMs = sentMs;
    }

    /** Reads the events topic from its start to its current end (a chunk written twice keeps its last send). */
    static ChunkTrail read(final String bootstrap, final String eventsTopic) {
        final Map<String, Long> sent = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()))) {
            final List<TopicPartition> partitions = consumer.partitionsFor(eventsTopic).stream()
                    .map(p -> new TopicPartition(eventsTopic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    final String content = contentOf(record.value());
                    if (!content.isEmpty()) {
                        sent.put(content, record.timestamp());
                    }
                }
            }
        }
        return new ChunkTrail(sent);
    }

    /** Cuts each gap that added more than {@code lateMs} at the worker's send of its two chunks. */
    Split split(final List<SaturatedClient.Result> results, final Map<String, List<Long>> writtenNanos,
                final double lateMs) {
        int traced = 0;
        int before = 0;
        for (final SaturatedClient.Result result : results) {
            final List<Long> written = writtenNanos.getOrDefault(result.tag(), List.of());
            final List<Long> arrived = result.chunkNanos();
            if (written.size() != arrived.size()) {
                continue; // a re-run or a cut stream: no pairing to trust, as in ChunkGaps
            }
            for (int i = 1; i < arrived.size(); i++) {
                final double addedMs = (arrived.get(i) - arrived.get(i - 1) - written.get(i) + written.get(i - 1)) / 1e6;
                final Long sent0 = sentMs.get(result.tag() + "-" + (i - 1));
                final Long sent1 = sentMs.get(result.tag() + "-" + i);
                if (addedMs <= lateMs || sent0 == null || sent1 == null) {
                    continue;
                }
                traced++;
                // the growth of (send - write) from one chunk to the next; wall clock and nanoTime offsets cancel
                final double beforeMs = (sent1 - sent0) - (written.get(i) - written.get(i - 1)) / 1e6;
                if (beforeMs > addedMs - beforeMs) {
                    before++;
                }
            }
        }
        return new Split(lateMs, traced, before, traced - before);
    }

    private static String contentOf(final byte[] event) {
        try {
            final JsonNode node = Json.MAPPER.readTree(event);
            return node.path("data").path("choices").path(0).path("delta").path("content").asText("").strip();
        } catch (final IOException e) {
            return "";
        }
    }
}
