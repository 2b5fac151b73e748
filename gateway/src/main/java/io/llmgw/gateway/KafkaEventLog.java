package io.llmgw.gateway;

import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topic;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@link EventLog} over the events topic: each cursor is its own consumer without a group, assigned the one partition
 * and positioned at the request's first event. One sequential read from there covers the replay and the live part
 * alike, which is what makes a resumed stream gapless and free of duplicates. A cursor costs a consumer (a
 * connection and its buffers) for as long as its client follows the request.
 */
final class KafkaEventLog implements EventLog {

    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);

    private final Supplier<Consumer<String, byte[]>> consumers;
    private final Topic<String, ResponseEvent> events;

    KafkaEventLog(final Supplier<Consumer<String, byte[]>> consumers, final Topic<String, ResponseEvent> events) {
        this.consumers = consumers;
        this.events = events;
    }

    static KafkaEventLog create(final Settings settings, final GatewayConfig config) {
        final AtomicLong cursors = new AtomicLong();
        return new KafkaEventLog(() -> {
            final Map<String, Object> props = KafkaClientProps.consumer(settings);
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-gateway-replay-" + config.gatewayId() + "-"
                    + cursors.incrementAndGet());
            props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
            return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        }, config.topics().events());
    }

    @Override
    public Optional<Cursor> open(final String id, final int partition, final long offset) {
        final Consumer<String, byte[]> consumer = consumers.get();
        try {
            final TopicPartition topicPartition = new TopicPartition(events.name(), partition);
            consumer.assign(List.of(topicPartition));
            final long earliest = consumer.beginningOffsets(List.of(topicPartition), METADATA_TIMEOUT)
                    .getOrDefault(topicPartition, 0L);
            if (earliest > offset) {
                consumer.close(CloseOptions.timeout(Duration.ZERO));
                return Optional.empty();
            }
            consumer.seek(topicPartition, offset);
            return Optional.of(new KafkaCursor(consumer, topicPartition, id));
        } catch (final RuntimeException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw e;
        }
    }

    private final class KafkaCursor implements Cursor {

        private final Consumer<String, byte[]> consumer;
        private final TopicPartition partition;
        private final String id;

        KafkaCursor(final Consumer<String, byte[]> consumer, final TopicPartition partition, final String id) {
            this.consumer = consumer;
            this.partition = partition;
            this.id = id;
        }

        @Override
        public boolean caughtUp() {
            // the lag is known once a fetch has answered; until then the cursor cannot claim to be at the end
            return consumer.currentLag(partition).orElse(1) == 0;
        }

        @Override
        public List<ResponseEvent> poll(final Duration timeout) {
            final List<ResponseEvent> found = new ArrayList<>();
            for (final ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
                if (id.equals(record.key())
                        && events.valueSerde().decode(record.value()) instanceof Decoded.Ok<ResponseEvent> ok) {
                    found.add(ok.value());
                }
            }
            return found;
        }

        @Override
        public void close() {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
        }
    }
}
