package io.llmgw.processors;

import io.llmgw.runtime.ProcessFailure;
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
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

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
 *
 * <p><b>No record stops it.</b> A record that is not a cancel is skipped and counted (every worker reads every
 * cancel, so none of them dead-letters it); if the loop dies anyway it reports to {@link ProcessFailure}, which turns
 * {@code /health} and {@code /ready} to 503 and exits the process: a worker that no longer hears cancels would spend
 * GPU time on answers nobody reads.
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
    private final ProcessFailure failure;
    private final LongAdder unreadable = new LongAdder();
    private final Thread thread;
    private volatile boolean running = true;

    CancelListener(final Consumer<String, byte[]> consumer, final Topic<String, CancelCommand> control,
                   final CancelRegistry registry, final String name) {
        this(consumer, control, registry, name, ProcessFailure.process());
    }

    CancelListener(final Consumer<String, byte[]> consumer, final Topic<String, CancelCommand> control,
                   final CancelRegistry registry, final String name, final ProcessFailure failure) {
        this.failure = failure;
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
            read += pollOnce();
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

    /** Starts the listener thread for a consumer already caught up; for tests. */
    void startThread() {
        thread.start();
    }

    /** True while the listener thread reads cancels. */
    public boolean isAlive() {
        return thread.isAlive();
    }

    /** Control records skipped because they are not cancels. */
    public long unreadable() {
        return unreadable.sum();
    }

    private void run() {
        try {
            while (running) {
                pollOnce();
            }
        } catch (final WakeupException | InterruptException e) {
            if (running) {
                failure.report("the cancel listener " + thread.getName() + " (interrupted while running)", e);
            }
        } catch (final RuntimeException | Error e) {
            failure.report("the cancel listener " + thread.getName(), e);
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            consumer.close();
        }
    }

    /** One poll; returns how many records it read. Skips records it cannot read, whatever they hold. */
    private int pollOnce() {
        try {
            int read = 0;
            for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                accept(record);
                read++;
            }
            return read;
        } catch (final RecordDeserializationException e) {
            unreadable.increment();
            LOG.warn("skipping a control record the consumer cannot read at {}@{}", e.topicPartition(), e.offset());
            consumer.seek(e.topicPartition(), e.offset() + 1);
            return 1;
        }
    }

    private void accept(final ConsumerRecord<String, byte[]> record) {
        try {
            switch (control.valueSerde().decode(record.value())) {
                case Decoded.Ok<CancelCommand> ok when ok.value().id() != null || record.key() != null ->
                        registry.cancel(ok.value().id() != null ? ok.value()
                                : new CancelCommand(record.key(), ok.value().reason(), ok.value().atMs()));
                case Decoded.Ok<CancelCommand> ok -> skip(record, "a cancel without a request id");
                case Decoded.Failed<CancelCommand> failed -> skip(record, failed.reason());
            }
        } catch (final RuntimeException e) {
            // a subscriber's bug (or an absurd command) must not end cancel delivery for the whole worker
            skip(record, e.toString());
        }
    }

    private void skip(final ConsumerRecord<String, byte[]> record, final String reason) {
        unreadable.increment();
        LOG.warn("ignoring unreadable control record at {}-{}@{}: {}", record.topic(), record.partition(),
                record.offset(), reason);
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
