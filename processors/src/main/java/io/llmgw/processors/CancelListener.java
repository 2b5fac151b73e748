package io.llmgw.processors;

import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the control topic and hands every cancel to a {@link CancelRegistry}. A plain consumer without a group: every
 * worker instance must see every cancel, since any of them may hold the request. It never commits.
 *
 * <p><b>Where it starts.</b> Not at the end of the topic: a cancel published while this worker was starting (or while
 * no worker of the model ran at all) concerns a request that still waits in the model topic, or one a restarted task
 * resumes from its in-flight store, and must not be missed. It starts at the first cancel of the last
 * {@code lookback} (by record timestamp) and reads up to the end as it stood at start <em>before</em> {@link #start}
 * returns, so that the worker's tasks, started afterwards, know every cancel published before they run. A request
 * older than the lookback has passed its deadline anyway, if the lookback is at least the gateway's
 * {@code GATEWAY_REQUEST_TIMEOUT}: the worker then ends it as expired without a cancel. A committed position was
 * the other choice; it needs a consumer group per worker instance and a stable instance id, and still says nothing
 * about a worker of a model that never ran before, which a timestamp covers for everyone.
 */
public final class CancelListener implements AutoCloseable {

    /** Default lookback: the gateway's default request timeout, the longest a request waits for a worker. */
    public static final Duration DEFAULT_LOOKBACK = Duration.ofSeconds(600);

    private static final Logger LOG = LoggerFactory.getLogger(CancelListener.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(30);

    private final Consumer<String, byte[]> consumer;
    private final Topic<String, CancelCommand> control;
    private final CancelRegistry registry;
    private final Thread thread;
    private volatile boolean running = true;

    CancelListener(final Consumer<String, byte[]> consumer, final Topic<String, CancelCommand> control,
                   final CancelRegistry registry, final String name) {
        this.consumer = consumer;
        this.control = control;
        this.registry = registry;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    }

    /**
     * Assigns every partition of the control topic, reads the cancels of the last {@code lookback} into the registry,
     * and goes on reading new ones on its own thread.
     *
     * @throws IllegalStateException when the control topic cannot be read within 30 s
     */
    public static CancelListener start(final Settings settings, final Topics topics, final CancelRegistry registry,
                                       final String name, final Duration lookback) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
        final KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer());
        try {
            final CancelListener listener = new CancelListener(consumer, topics.control(), registry, name);
            listener.catchUp(lookback, System.currentTimeMillis(), CATCH_UP_TIMEOUT);
            listener.thread.start();
            return listener;
        } catch (final RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    /**
     * Positions every control partition at its first record not older than {@code lookback} (at its end when there
     * is none) and applies everything up to the end offsets of now. Runs on the caller's thread.
     */
    void catchUp(final Duration lookback, final long nowMs, final Duration timeout) {
        final List<TopicPartition> partitions = consumer.partitionsFor(control.name(), timeout).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        if (partitions.isEmpty()) {
            throw new IllegalStateException("control topic " + control.name() + " has no partitions");
        }
        consumer.assign(partitions);
        final Map<TopicPartition, Long> since = new HashMap<>();
        partitions.forEach(partition -> since.put(partition, Math.max(0, nowMs - lookback.toMillis())));
        final Map<TopicPartition, OffsetAndTimestamp> first = consumer.offsetsForTimes(since, timeout);
        final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
        for (final TopicPartition partition : partitions) {
            final OffsetAndTimestamp found = first.get(partition);
            consumer.seek(partition, found != null ? found.offset() : ends.get(partition));
        }
        final long deadline = System.nanoTime() + timeout.toNanos();
        int read = 0;
        while (!reached(ends)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cannot read the recent cancels on " + control.name() + " within "
                        + timeout.toSeconds() + " s");
            }
            for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                accept(record);
                read++;
            }
        }
        LOG.info("{}: {} cancel(s) of the last {} s applied before the worker starts", thread.getName(), read,
                lookback.toSeconds());
    }

    private boolean reached(final Map<TopicPartition, Long> ends) {
        for (final Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            if (consumer.position(end.getKey()) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void run() {
        try {
            while (running) {
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    accept(record);
                }
            }
        } catch (final WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (final RuntimeException e) {
            LOG.error("cancel listener stopped: cancels are no longer applied (deadlines still are)", e);
        } finally {
            consumer.close();
        }
    }

    private void accept(final ConsumerRecord<String, byte[]> record) {
        switch (control.valueSerde().decode(record.value())) {
            case Decoded.Ok<CancelCommand> ok -> registry.cancel(ok.value().id() != null ? ok.value()
                    : new CancelCommand(record.key(), ok.value().reason(), ok.value().atMs()));
            case Decoded.Failed<CancelCommand> failed ->
                    LOG.warn("ignoring unreadable control record at offset {}: {}", record.offset(), failed.reason());
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
