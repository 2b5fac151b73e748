package io.llmgw.gateway;

import io.llmgw.runtime.ProcessFailure;
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
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads this gateway's reply partitions of the events topic and hands each event to the request waiting for it.
 *
 * <p>No consumer group: the partitions are {@code assign()}ed, because they belong to this instance by configuration,
 * and reading starts at the end, because replies to requests of an earlier run have nobody waiting. Requests are
 * accepted only once the start positions are known ({@link #isReady()}); a reply written before that could otherwise
 * be skipped.
 *
 * <p>No record stops it: the key is looked up first and only a record somebody waits for is decoded (most records of
 * a shared partition are other requests'); a record that cannot be read, or whose key and id disagree, is skipped and
 * counted. Dead-lettering is left to the request results app, which reads every events record exactly once. If the
 * loop dies anyway it reports to {@link ProcessFailure}, which brings the process down.
 *
 * <p>Threading: one platform thread owns the consumer; other threads only call {@link Consumer#wakeup()} (in
 * {@link #close()}) and {@link Consumer#metrics()} (metrics binders; it takes no lock), and read the volatile flags.
 */
public final class ReplyConsumer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyConsumer.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final Consumer<String, byte[]> consumer;
    private final Topic<String, ResponseEvent> topic;
    private final List<TopicPartition> partitions;
    private final PendingReplies pending;
    private final ProcessFailure failure;
    private final LongAdder delivered = new LongAdder();
    private final LongAdder ignored = new LongAdder();
    private final LongAdder unreadable = new LongAdder();
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean ready;

    ReplyConsumer(final Consumer<String, byte[]> consumer, final Topic<String, ResponseEvent> topic,
                  final ReplyPartitions partitions, final PendingReplies pending, final ProcessFailure failure) {
        this.consumer = consumer;
        this.failure = failure;
        this.topic = topic;
        this.partitions = partitions.partitions().stream().map(p -> new TopicPartition(topic.name(), p)).toList();
        this.pending = pending;
        this.thread = Thread.ofPlatform().name("llmgw-reply-consumer").daemon().unstarted(this::run);
    }

    /** Starts a consumer of {@code partitions} of the events topic on its own thread. */
    public static ReplyConsumer start(final Settings settings, final GatewayConfig config,
                                      final ReplyPartitions partitions, final PendingReplies pending,
                                      final ProcessFailure failure) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-gateway-replies-" + config.gatewayId());
        final Topic<String, ResponseEvent> events = config.topics().events();
        return start(new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer()), events,
                partitions, pending, failure);
    }

    static ReplyConsumer start(final Consumer<String, byte[]> consumer, final Topic<String, ResponseEvent> topic,
                               final ReplyPartitions partitions, final PendingReplies pending,
                               final ProcessFailure failure) {
        final ReplyConsumer replies = new ReplyConsumer(consumer, topic, partitions, pending, failure);
        replies.thread.start();
        return replies;
    }

    /** For metrics binders, which only call {@link Consumer#metrics()}. */
    Consumer<String, byte[]> consumer() {
        return consumer;
    }

    /** Reply records handed to a waiting request. */
    long delivered() {
        return delivered.sum();
    }

    /** Reply records nobody here waits for (another instance's, or a request that ended). */
    long ignored() {
        return ignored.sum();
    }

    /** Records skipped because they could not be read (no key, not an event, key and id disagree). */
    long unreadable() {
        return unreadable.sum();
    }

    /** True while the consumer runs and knows where its partitions end: replies from now on will be seen. */
    public boolean isReady() {
        return ready && thread.isAlive();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            if (!stopped.await(10, TimeUnit.SECONDS)) {
                LOG.warn("reply consumer did not stop within 10 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            awaitPositions();
            while (running) {
                pollOnce();
            }
        } catch (final WakeupException | InterruptException e) {
            if (running) {
                failure.report("the reply consumer (interrupted while running)", e);
            }
        } catch (final RuntimeException | Error e) {
            failure.report("the reply consumer", e);
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            ready = false;
            closeQuietly();
            stopped.countDown();
        }
    }

    /** position() resolves the lazy seek now, so that "ready" means the start offsets are fixed. */
    private void awaitPositions() {
        while (running && !ready) {
            try {
                partitions.forEach(consumer::position);
                ready = true;
                LOG.debug("reply consumer positioned on {}", partitions);
            } catch (final org.apache.kafka.common.errors.TimeoutException e) {
                LOG.warn("reply consumer cannot find the end of {} yet (is Kafka reachable?): {}", partitions,
                        e.getMessage());
            }
        }
    }

    private void pollOnce() {
        try {
            for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                handle(record);
            }
        } catch (final WakeupException | InterruptException e) {
            throw e;
        } catch (final RecordDeserializationException e) {
            unreadable.increment();
            LOG.warn("skipping a record the consumer cannot read at {}@{}: {}", e.topicPartition(), e.offset(),
                    e.getMessage());
            consumer.seek(e.topicPartition(), e.offset() + 1);
        } catch (final KafkaException e) {
            // a broker hiccup (or a lost partition) must not end reply delivery for the life of the process
            LOG.warn("polling replies failed, retrying: {}", e.toString());
        }
    }

    /** Never throws: one record, whatever it holds, must not end reply delivery. */
    private void handle(final ConsumerRecord<String, byte[]> record) {
        final String id = record.key();
        if (id == null) {
            skip(record, "no key");
            return;
        }
        if (!pending.isWaiting(id)) {
            ignored.increment();
            return;
        }
        try {
            switch (topic.valueSerde().decode(record.value())) {
                case Decoded.Ok<ResponseEvent> ok when id.equals(ok.value().id()) && ok.value().type() != null -> {
                    if (pending.dispatch(ok.value())) {
                        delivered.increment();
                    } else {
                        ignored.increment();
                    }
                }
                case Decoded.Ok<ResponseEvent> ok -> skip(record, "its id " + ok.value().id()
                        + " is not its key, or it has no type");
                case Decoded.Failed<ResponseEvent> failed -> skip(record, failed.reason());
            }
        } catch (final RuntimeException e) {
            skip(record, e.toString());
        }
    }

    private void skip(final ConsumerRecord<String, byte[]> record, final String reason) {
        unreadable.increment();
        LOG.warn("skipping unreadable reply at {}-{}@{} (key {}): {}", record.topic(), record.partition(),
                record.offset(), record.key(), reason);
    }

    private void closeQuietly() {
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (final RuntimeException e) {
            LOG.debug("closing the reply consumer failed", e);
        }
    }
}
