package io.llmgw.processors;

import io.llmgw.schemas.EventHeaders;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.RequestLog;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * The worker instance's own producer for the events of started requests (acks=all, idempotent, no linger): the
 * scheduler's loop sends a chunk the moment the host delivers it, without waiting for the stream thread. A delivery
 * that fails after the producer's own retries is logged and not confirmed, so the request stays in the in-flight store
 * and is resumed by the task's next owner (guarantee 2).
 */
final class KafkaEventSender implements EventSender {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaEventSender.class);

    private final KafkaProducer<String, byte[]> producer;
    private final String eventsTopic;
    private final JsonSerde<ResponseEvent> events;
    private final JsonSerde<RequestEnvelope> envelopes;
    private final int eventPartitions;

    KafkaEventSender(final Settings settings, final Topics topics, final String clientId) {
        final var props = KafkaClientProps.producer(settings);
        props.put("client.id", clientId);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        this.eventsTopic = topics.events().name();
        this.events = new JsonSerde<>(ResponseEvent.class);
        this.envelopes = new JsonSerde<>(RequestEnvelope.class);
        this.eventPartitions = producer.partitionsFor(eventsTopic).size();
    }

    @Override
    public void send(final ResponseEvent event, final Runnable onDelivered) {
        // the asking gateway's partition; one it cannot have (a forged envelope) goes by key, like ReplyPartitioner
        final Integer partition = event.replyPartition() >= 0 && event.replyPartition() < eventPartitions
                ? event.replyPartition() : null;
        // the type header lets the request results skip a running request's chunks without parsing them
        producer.send(new ProducerRecord<>(eventsTopic, partition, event.id(), events.encode(event),
                        EventHeaders.of(event)),
                (metadata, failure) -> delivered(event.id(), failure, onDelivered));
    }

    @Override
    public void handOver(final String topic, final RequestEnvelope request, final Runnable onDelivered) {
        producer.send(new ProducerRecord<>(topic, request.id(), envelopes.encode(request)),
                (metadata, failure) -> delivered(request.id(), failure, onDelivered));
    }

    private static void delivered(final String requestId, final Exception failure, final Runnable onDelivered) {
        if (failure == null) {
            onDelivered.run();
        } else {
            RequestLog.with(requestId, () -> LOG.error("cannot send an event of request {}; it stays in the in-flight"
                    + " store and is resumed by the task's next owner", requestId, failure));
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
