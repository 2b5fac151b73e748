package io.llmgw.runtime;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A table kept in a compacted topic (the model registry, the API keys), read from the beginning into the caller's
 * map and then followed for the life of the process: every record goes to a {@link Sink}, a tombstone as a null
 * value. A record the sink cannot use is skipped and counted (every instance reads every record of such a table, so
 * none of them dead-letters it); if the loop dies anyway it reports to {@link ProcessFailure}, which makes the
 * process fail loudly. {@link #isLoaded()} turns true once the positions reached the end offsets seen at start.
 *
 * <p>Threading: one platform thread owns the consumer and is the only caller of the sink; other threads read the
 * sink's own (concurrent) map and only call {@link Consumer#wakeup()} here, through {@link #close()}.
 */
public final class CompactedTopicReader implements AutoCloseable {

    /** Applies one record of the table; throws {@link Unusable} (or any runtime exception) to skip it. */
    @FunctionalInterface
    public interface Sink {
        void apply(String key, byte[] value);
    }

    /** A record the table cannot use, with the reason for the log. */
    public static final class Unusable extends RuntimeException {
        public Unusable(final String reason) {
            super(reason, null, false, false);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(CompactedTopicReader.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final Consumer<String, byte[]> consumer;
    private final String topic;
    private final String what;
    private final Sink sink;
    private final ProcessFailure failure;
    private final LongAdder unreadable = new LongAdder();
    private final Thread thread;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean loaded;
    private Map<TopicPartition, Long> endAtStart;

    private CompactedTopicReader(final Consumer<String, byte[]> consumer, final String topic, final String what,
                                 final Sink sink, final ProcessFailure failure) {
        this.consumer = consumer;
        this.topic = topic;
        this.what = what;
        this.sink = sink;
        this.failure = failure;
        this.thread = Thread.ofPlatform().name("llmgw-" + what.replace(' ', '-')).daemon().unstarted(this::run);
    }

    /** Starts reading {@code topic} with {@code consumer} (owned from now on); {@code what} names it in logs. */
    public static CompactedTopicReader start(final Consumer<String, byte[]> consumer, final String topic,
                                             final String what, final Sink sink, final ProcessFailure failure) {
        final CompactedTopicReader reader = new CompactedTopicReader(consumer, topic, what, sink, failure);
        reader.thread.start();
        return reader;
    }

    /** Whether the table was read up to where it ended at start, and is still being followed. */
    public boolean isLoaded() {
        return loaded && thread.isAlive();
    }

    /** Records skipped because they could not be used. */
    public long unreadable() {
        return unreadable.sum();
    }

    @Override
    public void close() {
        running = false;
        closing.countDown();
        consumer.wakeup();
        try {
            if (!stopped.await(10, TimeUnit.SECONDS)) {
                LOG.warn("the {} did not stop within 10 s", what);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            final List<TopicPartition> partitions = awaitPartitions();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            endAtStart = consumer.endOffsets(partitions);
            while (running) {
                pollOnce();
            }
        } catch (final WakeupException | InterruptException e) {
            if (running) {
                failure.report("the " + what + " (interrupted while running)", e);
            }
        } catch (final RuntimeException | Error e) {
            failure.report("the " + what, e);
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            closeQuietly();
            stopped.countDown();
        }
    }

    private List<TopicPartition> awaitPartitions() {
        while (running) {
            try {
                final List<PartitionInfo> infos = consumer.partitionsFor(topic);
                if (infos != null && !infos.isEmpty()) {
                    return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                }
                LOG.warn("topic {} of the {} does not exist yet; waiting for it", topic, what);
            } catch (final org.apache.kafka.common.errors.TimeoutException e) {
                LOG.warn("cannot read the partitions of {} yet (is Kafka reachable?): {}", topic, e.getMessage());
            }
            awaitRetry();
        }
        throw new WakeupException();
    }

    private void pollOnce() {
        try {
            for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                if (record.key() == null) {
                    skip(record, "no key");
                    continue;
                }
                try {
                    sink.apply(record.key(), record.value());
                } catch (final RuntimeException e) {
                    skip(record, e instanceof Unusable ? e.getMessage() : e.toString());
                }
            }
            if (!loaded && caughtUp()) {
                loaded = true;
                LOG.info("{} loaded from {}", what, topic);
            }
        } catch (final WakeupException | InterruptException e) {
            throw e;
        } catch (final RecordDeserializationException e) {
            unreadable.increment();
            LOG.warn("skipping a record of the {} the consumer cannot read at {}@{}", what, e.topicPartition(),
                    e.offset());
            consumer.seek(e.topicPartition(), e.offset() + 1);
        } catch (final KafkaException e) {
            LOG.warn("reading the {} failed, retrying: {}", what, e.toString());
        }
    }

    private void skip(final ConsumerRecord<String, byte[]> record, final String reason) {
        unreadable.increment();
        // the key may be a secret's owner but never a secret: tables here keep no secrets in keys
        LOG.warn("skipping an unusable record of the {} at {}-{}@{} (key {}): {}", what, record.topic(),
                record.partition(), record.offset(), record.key(), reason);
    }

    private boolean caughtUp() {
        for (final Map.Entry<TopicPartition, Long> end : endAtStart.entrySet()) {
            if (consumer.position(end.getKey()) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void awaitRetry() {
        try {
            // a pause that close() ends at once
            closing.await(RETRY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void closeQuietly() {
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (final RuntimeException e) {
            LOG.debug("closing the {} consumer failed", what, e);
        }
    }
}
