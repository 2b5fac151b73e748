package io.llmgw.gateway;

import io.llmgw.limits.UsageRecord;
import io.llmgw.schemas.DeadLetterHeaders;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.EventHeaders;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The gateway's own small Kafka Streams app: the events topic -> {@link RequestStateProcessor} -> the results store,
 * a {@link RequestState} per request id, kept for {@code retention} after the request finished. All gateway instances
 * run it under one application id, so each holds the results of some events partitions, and interactive-query
 * metadata tells which instance holds a given request.
 */
public final class RequestResultsTopology {

    public static final String STORE = "request-results";
    static final String SOURCE = "events";
    static final String PROCESSOR = "request-state";
    static final String DLQ_SINK = "dlq";
    static final String USAGE_SINK = "usage";
    static final String STAGE = "gateway-results";
    /** How long after its deadline a request nobody ended is called expired; the worker's own event comes first. */
    static final Duration EXPIRY_GRACE = Duration.ofSeconds(2);
    /** How often unfinished requests are checked against their deadlines. */
    static final Duration EXPIRY_CHECK = Duration.ofMillis(500);

    private static final Logger LOG = LoggerFactory.getLogger(RequestResultsTopology.class);
    private static final JsonSerde<RequestState> STATES = new JsonSerde<>(RequestState.class);

    private RequestResultsTopology() {
    }

    public static Topology build(final Topics topics, final Duration retention) {
        return build(topics, retention, new ResultsProgress(), KeyNames.STATIC, usage -> { });
    }

    /**
     * Like {@link #build(Topics, Duration)}, reporting how far each partition has been read to {@code progress},
     * naming keys in usage records with {@code names} and showing each record written to {@code written} (the
     * metrics) on the stream thread.
     */
    static Topology build(final Topics topics, final Duration retention, final ResultsProgress progress,
                          final KeyNames names, final Consumer<UsageRecord> written) {
        final Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                topics.events().name());
        topology.addProcessor(PROCESSOR, new ProcessorSupplier<String, byte[], String, byte[]>() {
            @Override
            public Processor<String, byte[], String, byte[]> get() {
                return new RequestStateProcessor(topics, retention, progress, names, written);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(storeBuilder(), ForgetIndex.storeBuilder());
            }
        }, SOURCE);
        // the one reader that sees every events record exactly once (one group for all gateways): it dead-letters
        topology.addSink(DLQ_SINK, topics.dlqName(), Serdes.String().serializer(), Serdes.ByteArray().serializer(),
                PROCESSOR);
        // keyed by key id: the limits app settles a key's reservations on the partition that owns its counters
        topology.addSink(USAGE_SINK, topics.usage().name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), PROCESSOR);
        return topology;
    }

    /** How often the store is swept for requests past retention: often for short retentions, at most once a minute. */
    static Duration sweepInterval(final Duration retention) {
        final long millis = Math.clamp(retention.toMillis() / 10, 100, 60_000);
        return Duration.ofMillis(millis);
    }

    /** Reads a stored state; an unreadable one (another version's) is reported as null. */
    static RequestState decode(final byte[] bytes) {
        return switch (STATES.decode(bytes)) {
            case Decoded.Ok<RequestState> ok -> ok.value();
            case Decoded.Failed<RequestState> failed -> null;
        };
    }

    static byte[] encode(final RequestState state) {
        return STATES.encode(state);
    }

    /**
     * Persistent (a deployment keeps an hour of results: too much for the heap), changelogged so that another
     * instance takes the results over in a rebalance, cached so that the changelog gets one record per request and
     * commit rather than one per state (lookups read through the cache, so they still see every update at once). The
     * changelog is compacted: a forgotten request's tombstone removes it there too.
     */
    private static StoreBuilder<KeyValueStore<String, byte[]>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled()
                .withLoggingEnabled(Map.of(
                        TopicConfig.SEGMENT_MS_CONFIG, "600000",
                        TopicConfig.DELETE_RETENTION_MS_CONFIG, "600000",
                        TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1"));
    }

    /**
     * Applies each event to its request's state; sends what cannot be read (no key, not an event, key and id
     * disagree, or an event the state cannot take) to the dead-letter topic; expires requests nobody ended soon after their deadline; forgets the
     * ones past retention. Each request that reaches a final state, by an event or by expiry, writes its one usage
     * record then ({@link UsageRecords} says why here).
     *
     * <p>Expiry is checked every {@link #EXPIRY_CHECK} against an in-memory index of the unfinished requests by
     * deadline (the few in flight, rebuilt from the store when the task starts), so that it costs nothing per finished
     * request; forgetting reads only the requests that are due ({@link ForgetIndex}) at the slower
     * {@link #sweepInterval}.
     *
     * <p>Threading: Kafka Streams calls everything here on the task's stream thread.
     */
    static final class RequestStateProcessor implements Processor<String, byte[], String, byte[]> {

        private final JsonSerde<ResponseEvent> events;
        private final JsonSerde<UsageRecord> usage;
        private final Duration retention;
        private final ResultsProgress progress;
        private final KeyNames names;
        private final Consumer<UsageRecord> written;
        private final Map<String, Long> deadlineOf = new HashMap<>();
        /**
         * Running requests whose chunks change nothing here (every endpoint but Responses, whose final chunk holds
         * the response object): their chunks are recognised by the worker's {@link EventHeaders#TYPE} header, or else by
         * {@link EventPeek#isChunkOf}, and skipped without a decode.
         */
        private final Set<String> quietChunks = new HashSet<>();
        private final NavigableSet<Unfinished> byDeadline = new TreeSet<>();
        private ProcessorContext<String, byte[]> context;
        private KeyValueStore<String, byte[]> store;
        private ForgetIndex forgetIndex;

        /** An unfinished request in the expiry index. */
        private record Unfinished(long deadlineMs, String id) implements Comparable<Unfinished> {
            @Override
            public int compareTo(final Unfinished other) {
                final int byTime = Long.compare(deadlineMs, other.deadlineMs);
                return byTime != 0 ? byTime : id.compareTo(other.id);
            }
        }

        RequestStateProcessor(final Topics topics, final Duration retention, final ResultsProgress progress,
                              final KeyNames names, final Consumer<UsageRecord> written) {
            this.events = topics.events().valueSerde();
            this.usage = topics.usage().valueSerde();
            this.retention = retention;
            this.progress = progress;
            this.names = names;
            this.written = written;
        }

        @Override
        public void init(final ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
            this.forgetIndex = new ForgetIndex(context.getStateStore(ForgetIndex.STORE), retention);
            // one source topic: the task's partition is the events partition it reads
            progress.forget(context.taskId().partition());
            final List<String> unreadable = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> all = store.all()) {
                while (all.hasNext()) {
                    final KeyValue<String, byte[]> entry = all.next();
                    final RequestState state = decode(entry.value);
                    if (state != null) {
                        index(state);
                        forgetIndex.track(null, state);
                    } else {
                        unreadable.add(entry.key);
                    }
                }
            }
            unreadable.forEach(store::delete);
            context.schedule(EXPIRY_CHECK, PunctuationType.WALL_CLOCK_TIME, this::expireOverdue);
            context.schedule(sweepInterval(retention), PunctuationType.WALL_CLOCK_TIME, this::forgetOld);
        }

        @Override
        public void process(final Record<String, byte[]> record) {
            try {
                take(record);
            } finally {
                context.recordMetadata().ifPresent(source -> progress.read(source.partition(), source.offset()));
            }
        }

        @Override
        public void close() {
            progress.forget(context.taskId().partition());
        }

        private void take(final Record<String, byte[]> record) {
            if (record.key() == null) {
                deadLetter(record, "an events record without a key");
                return;
            }
            // the worker's type header says "chunk" without a parse; a record without it is peeked at
            if (quietChunks.contains(record.key()) && (EventHeaders.isChunk(record.headers())
                    || EventPeek.isChunkOf(record.key(), record.value()))) {
                return;
            }
            switch (events.decode(record.value())) {
                case Decoded.Ok<ResponseEvent> ok when record.key().equals(ok.value().id())
                        && ok.value().type() != null -> {
                    try {
                        apply(record, ok.value());
                    } catch (final RuntimeException e) {
                        deadLetter(record, "the request state cannot take this event: " + e);
                    }
                }
                case Decoded.Ok<ResponseEvent> ok -> deadLetter(record, "an event whose id (" + ok.value().id()
                        + ") is not its key, or without a type");
                case Decoded.Failed<ResponseEvent> failed -> deadLetter(record, failed.reason());
            }
        }

        private void deadLetter(final Record<String, byte[]> record, final String reason) {
            final Optional<RecordMetadata> source = context.recordMetadata();
            LOG.warn("results: events record {} sent to the dead-letter topic: {}", record.key(), reason);
            final Headers headers = DeadLetterHeaders.of(record.headers(), reason, STAGE,
                    source.map(RecordMetadata::topic).orElse(null), source.map(RecordMetadata::partition).orElse(-1),
                    source.map(RecordMetadata::offset).orElse(-1L));
            context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), DLQ_SINK);
        }

        private void apply(final Record<String, byte[]> record, final ResponseEvent event) {
            final RecordMetadata source = context.recordMetadata().orElseThrow();
            final long now = context.currentSystemTimeMs();
            final RequestState previous = decode(store.get(event.id()));
            final RequestState next = previous == null
                    ? RequestState.first(event, source.partition(), source.offset(), record.timestamp(), now)
                    : previous.apply(event, source.offset(), record.timestamp(), now);
            if (next != previous) {
                store.put(event.id(), encode(next));
                index(next);
                forgetIndex.track(previous, next);
                if (next.status().isFinal() && (previous == null || !previous.status().isFinal())) {
                    writeUsage(next, record.timestamp());
                }
            }
        }

        /** The request's one usage record; {@code finishedAtMs} is the terminal event's (or the expiry's) time. */
        private void writeUsage(final RequestState finished, final long finishedAtMs) {
            final UsageRecord record = UsageRecords.of(finished, names, finishedAtMs);
            context.forward(new Record<>(record.keyId(), usage.encode(record), finishedAtMs), USAGE_SINK);
            written.accept(record);
        }

        private void index(final RequestState state) {
            if (state.status() == RequestStatus.RUNNING && state.endpoint() != null
                    && state.endpoint() != Endpoint.RESPONSES) {
                quietChunks.add(state.id());
            } else {
                quietChunks.remove(state.id());
            }
            final Long indexed = deadlineOf.remove(state.id());
            if (indexed != null) {
                byDeadline.remove(new Unfinished(indexed, state.id()));
            }
            if (!state.status().isFinal() && state.deadlineMs() > 0) {
                deadlineOf.put(state.id(), state.deadlineMs());
                byDeadline.add(new Unfinished(state.deadlineMs(), state.id()));
            }
        }

        private void expireOverdue(final long now) {
            while (!byDeadline.isEmpty() && byDeadline.first().deadlineMs() + EXPIRY_GRACE.toMillis() <= now) {
                final Unfinished overdue = byDeadline.pollFirst();
                deadlineOf.remove(overdue.id());
                final RequestState state = decode(store.get(overdue.id()));
                if (state != null) {
                    final RequestState expired = state.expiredIfOverdue(now, EXPIRY_GRACE);
                    if (expired != state) {
                        store.put(overdue.id(), encode(expired));
                        forgetIndex.track(state, expired);
                        writeUsage(expired, now);
                        quietChunks.remove(overdue.id());
                    }
                }
            }
        }

        private void forgetOld(final long now) {
            final List<String> forgotten = new ArrayList<>();
            for (final String id : forgetIndex.takeDue(now)) {
                final RequestState state = decode(store.get(id));
                // an entry of an older state: the current one has an entry of its own, later
                if (state == null || state.isForgottenAt(now, retention)) {
                    forgotten.add(id);
                }
            }
            forgotten.forEach(id -> {
                store.delete(id);
                quietChunks.remove(id);
                final Long indexed = deadlineOf.remove(id);
                if (indexed != null) {
                    byDeadline.remove(new Unfinished(indexed, id));
                }
            });
        }
    }
}
