package io.llmgw.gateway;

import io.llmgw.limits.LimitCommand;
import io.llmgw.limits.LimitDecision;
import io.llmgw.runtime.ProcessFailure;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The gateway's side of a reservation: sends the {@link LimitCommand} to the key's owner on {@code llm.limits} and
 * waits for its {@link LimitDecision} on {@code llm.limits.decisions}, which every gateway reads whole (from its end
 * at start: only answers to its own questions matter) and matches by request id.
 *
 * <p>Threading: HTTP handler threads call {@link #reserve} and {@link #release}; each puts its future in
 * {@link #waiting} before it sends, so an answer can never arrive unclaimed. The platform thread
 * {@code llmgw-limit-decisions} owns the consumer and only completes futures. The producer is thread-safe. If the
 * reading loop dies, the process fails ({@link ProcessFailure}): a gateway that cannot hear answers must not live
 * on refusing every limited key.
 */
final class LimitReservations implements LimitGate.Reserver, AutoCloseable {

    /** What a reservation came to. */
    sealed interface Answer {
        record Decided(LimitDecision decision) implements Answer {
        }

        /** No answer in time (or the send failed): the caller applies {@code GATEWAY_LIMITS_UNAVAILABLE}. */
        record Unavailable(String why) implements Answer {
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(LimitReservations.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final Producer<String, byte[]> producer;
    private final Consumer<String, byte[]> consumer;
    private final Topics topics;
    private final JsonSerde<LimitCommand> commands;
    private final JsonSerde<LimitDecision> decisions;
    private final ProcessFailure failure;
    private final Map<String, CompletableFuture<LimitDecision>> waiting = new ConcurrentHashMap<>();
    private final LongAdder unreadable = new LongAdder();
    private final Thread thread;
    private volatile boolean ready;
    private volatile boolean running = true;

    LimitReservations(final Producer<String, byte[]> producer, final Consumer<String, byte[]> consumer,
                      final Topics topics, final ProcessFailure failure) {
        this.producer = producer;
        this.consumer = consumer;
        this.topics = topics;
        this.commands = topics.limits().valueSerde();
        this.decisions = topics.limitDecisions().valueSerde();
        this.failure = failure;
        this.thread = Thread.ofPlatform().name("llmgw-limit-decisions").daemon().unstarted(this::run);
    }

    static LimitReservations start(final Settings settings, final GatewayConfig config, final LimitsConfig limits,
                                   final ProcessFailure failure) {
        final Map<String, Object> producerProps = KafkaClientProps.producer(settings);
        producerProps.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "llmgw-gateway-limits-" + config.gatewayId());
        // a reservation waits for nothing else: no batching, and no send blocks longer than the answer may take
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producerProps.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, limits.timeout().toMillis());
        final Map<String, Object> consumerProps = KafkaClientProps.consumer(settings);
        consumerProps.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-gateway-decisions-" + config.gatewayId());
        consumerProps.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
        final LimitReservations reservations = new LimitReservations(
                new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer()),
                new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer()),
                config.topics(), failure);
        reservations.thread.start();
        return reservations;
    }

    /** True once the decisions are read from their end: a reservation sent now will hear its answer. */
    boolean isReady() {
        return ready;
    }

    long unreadable() {
        return unreadable.sum();
    }

    /** Sends {@code command} (a reservation) and waits up to {@code timeout} for the owner's answer. */
    @Override
    public Answer reserve(final LimitCommand command, final Duration timeout) throws InterruptedException {
        if (!ready) {
            return new Answer.Unavailable("the limit decisions are not read yet");
        }
        final CompletableFuture<LimitDecision> answer = new CompletableFuture<>();
        waiting.put(command.requestId(), answer);
        try {
            producer.send(new ProducerRecord<>(topics.limits().name(), command.keyId(), commands.encode(command)),
                    (metadata, error) -> {
                        if (error != null) {
                            answer.completeExceptionally(error);
                        }
                    });
            return new Answer.Decided(answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (final TimeoutException e) {
            // the owner may still count it: give the place back, whatever it decided
            release(command.requestId(), command.keyId());
            return new Answer.Unavailable("no answer within " + timeout.toMillis() + " ms");
        } catch (final ExecutionException | RuntimeException e) {
            final Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            return new Answer.Unavailable("the reservation was not sent: " + cause);
        } finally {
            waiting.remove(command.requestId());
        }
    }

    /** Gives back the place of a request that was admitted but never published. Not awaited. */
    @Override
    public void release(final String requestId, final String keyId) {
        final LimitCommand release = LimitCommand.release(requestId, keyId);
        try {
            producer.send(new ProducerRecord<>(topics.limits().name(), keyId, commands.encode(release)),
                    (metadata, error) -> {
                        if (error != null) {
                            // the place frees itself after the request's deadline
                            LOG.warn("release of {} not sent: {}", requestId, error.toString());
                        }
                    });
        } catch (final RuntimeException e) {
            LOG.warn("release of {} not sent: {}", requestId, e.toString());
        }
    }

    @Override
    public void finish(final String requestId, final String keyId, final Duration timeout)
            throws InterruptedException {
        final LimitCommand finish = LimitCommand.finish(requestId, keyId);
        try {
            producer.send(new ProducerRecord<>(topics.limits().name(), keyId, commands.encode(finish)))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException | TimeoutException | RuntimeException e) {
            // the place stops counting when the usage record settles it instead
            LOG.warn("finish of {} not sent: {}", requestId, e.toString());
        }
    }

    private void run() {
        try {
            final List<PartitionInfo> partitions = consumer.partitionsFor(topics.limitDecisions().name());
            final List<TopicPartition> assigned = partitions.stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToEnd(assigned);
            // resolved now, not at the first poll: an answer sent after ready must not be skipped
            assigned.forEach(consumer::position);
            ready = true;
            LOG.info("limit decisions read from their end ({} partition(s))", assigned.size());
            while (running) {
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    deliver(record);
                }
            }
        } catch (final RuntimeException | Error e) {
            // a wakeup is how close() stops the loop; while running, any failure is fatal
            if (running) {
                failure.report("the limit decisions reader", e);
            }
        } finally {
            ready = false;
            consumer.close(CloseOptions.timeout(Duration.ZERO));
        }
    }

    private void deliver(final ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            unreadable.increment();
            return;
        }
        final CompletableFuture<LimitDecision> answer = waiting.get(record.key());
        if (answer == null) {
            return; // another gateway's question, or one that timed out
        }
        switch (decisions.decode(record.value())) {
            case Decoded.Ok<LimitDecision> ok -> answer.complete(ok.value());
            case Decoded.Failed<LimitDecision> failed -> {
                unreadable.increment();
                answer.completeExceptionally(new IllegalStateException(failed.reason()));
            }
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
    }
}
