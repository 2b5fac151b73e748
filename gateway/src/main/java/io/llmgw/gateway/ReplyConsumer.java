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
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads the events partitions this gateway's waiting requests get their replies from, and hands each event to the
 * request waiting for it.
 *
 * <p><b>Which partitions.</b> The ones held ({@link ReplyClaims}: configured, or claimed in the gateways' group), plus
 * every partition that still has a waiting request ({@link PendingReplies#partitionsWaitedOn}): a partition given up
 * in a rebalance while a stream runs on it is read until that stream has its last event, so neither a gateway joining
 * nor one leaving strands a waiting request. The set is re-checked before every poll and {@code assign()}ed (no
 * group, no commits): a partition newly held is read from its end, since nobody waits there yet, and only once its
 * start position is fixed does it become {@link #stampable} for new requests, so no reply can be written before the
 * reader is in place. A partition added back for waiters (a race between a revocation and a registration) is read
 * from shortly before its earliest waiter registered, by timestamp, so that a reply written meanwhile is not missed.
 *
 * <p><b>No record stops it</b>: the key is looked up first and only a record somebody waits for is decoded; a record
 * that cannot be read, or whose key and id disagree, is skipped and counted. Dead-lettering is left to the request
 * results app, which reads every events record exactly once. If the loop dies anyway it reports to
 * {@link ProcessFailure}, which brings the process down.
 *
 * <p>Threading: one platform thread owns the consumer and {@code reading}; other threads only call
 * {@link Consumer#wakeup()} (in {@link #close()}) and {@link Consumer#metrics()} (metrics binders; it takes no lock),
 * and read the volatile {@code positioned} snapshot and flags.
 */
public final class ReplyConsumer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyConsumer.class);
    private static final Duration POLL = Duration.ofMillis(200);
    /** How far before its earliest waiter's registration a partition added back for waiters is read from. */
    private static final long REWIND_MS = 1_000;

    private final Consumer<String, byte[]> consumer;
    private final Topic<String, ResponseEvent> topic;
    private final ReplyClaims claims;
    private final PendingReplies pending;
    private final ProcessFailure failure;
    private final LongAdder delivered = new LongAdder();
    private final LongAdder ignored = new LongAdder();
    private final LongAdder unreadable = new LongAdder();
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Set<Integer> reading = Set.of();
    private volatile Set<Integer> positioned = Set.of();
    private volatile boolean running = true;

    ReplyConsumer(final Consumer<String, byte[]> consumer, final Topic<String, ResponseEvent> topic,
                  final ReplyClaims claims, final PendingReplies pending, final ProcessFailure failure) {
        this.consumer = consumer;
        this.failure = failure;
        this.topic = topic;
        this.claims = claims;
        this.pending = pending;
        this.thread = Thread.ofPlatform().name("llmgw-reply-consumer").daemon().unstarted(this::run);
    }

    /** Starts a consumer of the partitions {@code claims} holds (and those waited on) on its own thread. */
    public static ReplyConsumer start(final Settings settings, final GatewayConfig config,
                                      final ReplyClaims claims, final PendingReplies pending,
                                      final ProcessFailure failure) {
        // partitions join while it runs (a new claim, a waiter's partition): their first fetch waits for the one in
        // flight, so that one must not be held long
        final Map<String, Object> props = KafkaClientProps.consumer(settings, KafkaClientProps.PROMPT_FETCH_WAIT_MS);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-gateway-replies-" + config.gatewayId());
        final Topic<String, ResponseEvent> events = config.topics().events();
        return start(new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer()), events,
                claims, pending, failure);
    }

    static ReplyConsumer start(final Consumer<String, byte[]> consumer, final Topic<String, ResponseEvent> topic,
                               final ReplyClaims claims, final PendingReplies pending,
                               final ProcessFailure failure) {
        final ReplyConsumer replies = new ReplyConsumer(consumer, topic, claims, pending, failure);
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

    /**
     * The held partitions this consumer is positioned on: the ones a new request may be stamped with. Empty before
     * the first claim, and while the loop is dead.
     */
    public Set<Integer> stampable() {
        if (!thread.isAlive()) {
            return Set.of();
        }
        final Set<Integer> held = new TreeSet<>(claims.held());
        held.retainAll(positioned);
        return held;
    }

    /** True while the consumer runs and holds at least one partition it is positioned on. */
    public boolean isReady() {
        return !stampable().isEmpty();
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
            while (running) {
                if (follow()) {
                    pollOnce();
                } else {
                    claims.awaitChange(POLL);
                }
            }
        } catch (final WakeupException | InterruptException e) {
            if (running) {
                failure.report("the reply consumer (interrupted while running)", e);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            if (running) {
                failure.report("the reply consumer (interrupted while running)", e);
            }
        } catch (final RuntimeException | Error e) {
            failure.report("the reply consumer", e);
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            positioned = Set.of();
            closeQuietly();
            stopped.countDown();
        }
    }

    /**
     * Reads what is held or waited on now, positioning the partitions that are new to it; false when that is nothing
     * (a gateway waiting for its first claim).
     */
    private boolean follow() {
        final Set<Integer> wanted = new TreeSet<>(claims.held());
        wanted.addAll(pending.partitionsWaitedOn());
        if (!wanted.equals(reading)) {
            final Set<Integer> added = new TreeSet<>(wanted);
            added.removeAll(reading);
            consumer.assign(wanted.stream().map(this::partition).toList());
            final Set<Integer> kept = new TreeSet<>(positioned);
            kept.retainAll(wanted);
            positioned = Set.copyOf(kept);
            reading = Set.copyOf(wanted);
            if (!added.isEmpty()) {
                LOG.info("reading reply partitions {} (added {})", reading, added);
            }
            seekNew(added);
        }
        if (!positioned.containsAll(reading)) {
            resolvePositions();
        }
        return !reading.isEmpty();
    }

    private void seekNew(final Set<Integer> added) {
        final Map<TopicPartition, Long> since = new HashMap<>();
        for (final int partition : added) {
            final OptionalLong earliest = pending.earliestWaitOn(partition);
            if (earliest.isPresent()) {
                since.put(partition(partition), Math.max(0, earliest.getAsLong() - REWIND_MS));
            } else {
                consumer.seekToEnd(List.of(partition(partition)));
            }
        }
        if (since.isEmpty()) {
            return;
        }
        try {
            final Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(since);
            since.keySet().forEach(partition -> {
                final OffsetAndTimestamp offset = found.get(partition);
                if (offset != null) {
                    consumer.seek(partition, offset.offset());
                } else {
                    consumer.seekToEnd(List.of(partition));
                }
            });
        } catch (final org.apache.kafka.common.errors.TimeoutException e) {
            // better late than never: from the end, the rest of those replies still arrives
            LOG.warn("cannot find where to read {} from (is Kafka reachable?): {}", since.keySet(), e.getMessage());
            consumer.seekToEnd(since.keySet());
        }
    }

    /** position() resolves the lazy seeks now, so that "positioned" means the start offsets are fixed. */
    private void resolvePositions() {
        final Set<Integer> done = new TreeSet<>(positioned);
        for (final int partition : reading) {
            if (done.contains(partition)) {
                continue;
            }
            try {
                consumer.position(partition(partition), POLL);
                done.add(partition);
            } catch (final org.apache.kafka.common.errors.TimeoutException e) {
                LOG.warn("reply consumer cannot find the end of partition {} yet (is Kafka reachable?): {}", partition,
                        e.getMessage());
            }
        }
        positioned = Set.copyOf(done);
    }

    private TopicPartition partition(final int partition) {
        return new TopicPartition(topic.name(), partition);
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
            // a running stream's chunk: its data stays the record's text, copied to the client as it is
            final ResponseEvent chunk = RelayedChunk.of(record.value());
            final Decoded<ResponseEvent> decoded = chunk != null ? new Decoded.Ok<>(chunk)
                    : topic.valueSerde().decode(record.value());
            switch (decoded) {
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
