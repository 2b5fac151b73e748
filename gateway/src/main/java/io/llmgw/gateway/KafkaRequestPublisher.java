package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.RequestLog;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes requests to {@code topics.requests()} (with their queued marker on {@code topics.events()}) and
 * cancellations to {@code topics.control()} with one idempotent {@code acks=all} producer (records are encoded with
 * each topic's own serdes, so one producer serves all three).
 */
public final class KafkaRequestPublisher implements RequestPublisher, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaRequestPublisher.class);

    private final Producer<byte[], byte[]> producer;
    private final Topics topics;
    private final Duration timeout;

    public KafkaRequestPublisher(final Producer<byte[], byte[]> producer, final Topics topics, final Duration timeout) {
        this.producer = producer;
        this.topics = topics;
        this.timeout = timeout;
    }

    /** A publisher with the project's producer settings; {@code KAFKA_*} settings still win over these defaults. */
    public static KafkaRequestPublisher create(final Settings settings, final GatewayConfig config) {
        final Map<String, Object> props = KafkaClientProps.producer(settings);
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "llmgw-gateway-" + config.gatewayId());
        // send() blocks while it fetches metadata; without this an unreachable cluster holds a client for 60 s
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.publishTimeout().toMillis());
        return new KafkaRequestPublisher(
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer()),
                config.topics(), config.publishTimeout());
    }

    /** For metrics binders: the producer's own metrics are thread-safe to read. */
    Producer<byte[], byte[]> producer() {
        return producer;
    }

    /**
     * Sends the request, and beside an async or background one the {@link ResponseEvent#queued queued marker} to the
     * request's reply partition, so that the request results know of it before any worker does: its client will
     * look it up right after the 202. Both are in flight together; only the request's acknowledgement decides the
     * outcome, and the marker's is awaited (briefly) so that a lookup right after the answer finds the request. A
     * lost marker costs the results only the description of the request until the worker's first event.
     *
     * <p>A synchronous request gets no marker: its client is waiting on this connection, and the worker's events
     * describe it (a started marker when the call lasts, the first event of the answer otherwise). A marker each
     * would cost a record, a broker produce and a fetch for every reader of the events topic, per request.
     */
    @Override
    public void publish(final RequestEnvelope envelope) throws PublishException {
        // One deadline for the whole publish. send() itself may block up to max.block.ms (the publish timeout) while
        // it waits for metadata; a second send, or a full timeout per step, made a client wait twice the timeout
        // for its 503 when the brokers were away.
        final long deadline = System.nanoTime() + timeout.toNanos();
        try {
            final Future<RecordMetadata> request = producer.send(record(topics.requests(), envelope.id(), envelope));
            if (request.isDone()) {
                request.get(); // failed already (send() gave up waiting for metadata): no marker, no second wait
            }
            final Future<RecordMetadata> marker = envelope.detached() ? producer.send(marker(envelope)) : null;
            request.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
            if (marker != null) {
                awaitMarker(envelope.id(), marker, deadline);
            }
        } catch (final ExecutionException e) {
            throw failure(e.getCause());
        } catch (final TimeoutException e) {
            throw new PublishException(ApiError.unavailable("Kafka did not acknowledge the request within "
                    + timeout.toMillis() + " ms; try again later."), true, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException(ApiError.unavailable("The gateway is shutting down."), true, e);
        } catch (final KafkaException e) {
            throw failure(e);
        }
    }

    @Override
    public void cancel(final CancelCommand command) {
        try {
            producer.send(record(topics.control(), command.id(), command), (metadata, error) -> {
                if (error != null) {
                    RequestLog.with(command.id(), () -> LOG.warn("could not publish cancel for {} ({}): {}",
                            command.id(), command.reason(), error.toString()));
                }
            });
        } catch (final KafkaException e) {
            RequestLog.with(command.id(), () -> LOG.warn("could not publish cancel for {} ({}): {}",
                    command.id(), command.reason(), e.toString()));
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    private ProducerRecord<byte[], byte[]> marker(final RequestEnvelope envelope) {
        final Topic<String, ResponseEvent> events = topics.events();
        return new ProducerRecord<>(events.name(), envelope.replyPartition(),
                events.keySerde().serializer().serialize(events.name(), envelope.id()),
                events.valueSerde().encode(ResponseEvent.queued(envelope)));
    }

    private static long remainingMillis(final long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    private void awaitMarker(final String id, final Future<RecordMetadata> marker, final long deadlineNanos)
            throws InterruptedException {
        try {
            marker.get(remainingMillis(deadlineNanos), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException | TimeoutException e) {
            RequestLog.with(id, () -> LOG.warn("the queued marker of {} was not written: {}", id, e.toString()));
        }
    }

    private static <V> ProducerRecord<byte[], byte[]> record(final Topic<String, V> topic, final String key,
                                                             final V value) {
        return new ProducerRecord<>(topic.name(), topic.keySerde().serializer().serialize(topic.name(), key),
                topic.valueSerde().encode(value));
    }

    private static PublishException failure(final Throwable cause) {
        if (cause instanceof RecordTooLargeException) {
            return new PublishException(new ApiError(413, "The request is larger than Kafka accepts for one record"
                    + " (" + cause.getMessage() + ").", "invalid_request_error", null, "request_too_large"), false, cause);
        }
        final boolean unknown = cause instanceof org.apache.kafka.common.errors.TimeoutException;
        return new PublishException(ApiError.unavailable("Kafka did not accept the request: " + cause.getMessage()),
                unknown, cause);
    }
}
