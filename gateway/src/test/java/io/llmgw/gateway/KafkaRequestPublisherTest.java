package io.llmgw.gateway;

import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class KafkaRequestPublisherTest {

    private static final Topics TOPICS = new Topics("test");

    @Test
    void shouldPublishTheRequestAndItsQueuedMarkerOnTheReplyPartitionWhenPublishing() throws Exception {
        final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer());
        final RequestEnvelope envelope = new RequestEnvelope("req_1", Endpoint.CHAT_COMPLETIONS, "m", false,
                Json.object().put("model", "m"), 1_000, 61_000, 4, "gw", null, 1, true);

        new KafkaRequestPublisher(producer, TOPICS, Duration.ofSeconds(1)).publish(envelope);

        final List<ProducerRecord<byte[], byte[]>> sent = producer.history();
        assertEquals(2, sent.size());
        assertEquals(TOPICS.requests().name(), sent.get(0).topic());
        final ProducerRecord<byte[], byte[]> marker = sent.get(1);
        assertEquals(TOPICS.events().name(), marker.topic());
        assertEquals(4, marker.partition(), "where the asking gateway's results and replies are");
        assertEquals("req_1", new String(marker.key(), StandardCharsets.UTF_8));
        final Decoded<ResponseEvent> decoded = TOPICS.events().valueSerde().decode(marker.value());
        assertInstanceOf(Decoded.Ok.class, decoded);
        final ResponseEvent event = ((Decoded.Ok<ResponseEvent>) decoded).value();
        assertEquals(EventType.QUEUED, event.type());
        assertEquals(ResponseEvent.MARKER_SEQ, event.seq());
    }

    @Test
    void shouldFailWithoutASecondSendWhenTheFirstSendAlreadyGaveUpOnMetadata() {
        final java.util.concurrent.atomic.AtomicInteger sends = new java.util.concurrent.atomic.AtomicInteger();
        // what KafkaProducer.send returns after blocking max.block.ms for metadata: a future that failed already
        final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer()) {
            @Override
            public synchronized java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
                    final ProducerRecord<byte[], byte[]> record) {
                sends.incrementAndGet();
                return java.util.concurrent.CompletableFuture.failedFuture(
                        new org.apache.kafka.common.errors.TimeoutException("Topic not present in metadata after"
                                + " 10000 ms."));
            }
        };
        final RequestEnvelope envelope = new RequestEnvelope("req_2", Endpoint.CHAT_COMPLETIONS, "m", false,
                Json.object().put("model", "m"), 1_000, 61_000, 4, "gw", null, 1, false);

        final PublishException failure = org.junit.jupiter.api.Assertions.assertThrows(PublishException.class,
                () -> new KafkaRequestPublisher(producer, TOPICS, Duration.ofSeconds(10)).publish(envelope));

        assertEquals(503, failure.error().status());
        assertEquals(1, sends.get(), "the marker's send would block for metadata a second time");
    }
}
