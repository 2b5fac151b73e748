package io.llmgw.gateway;

import io.llmgw.limits.LimitCommand;
import io.llmgw.limits.LimitDecision;
import io.llmgw.limits.UsageRecord;
import io.llmgw.schemas.DeadLetterHeaders;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.Topics;
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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The limits app that every gateway runs under one application id: reservations ({@code llm.limits}) and usage
 * records ({@code llm.usage}), both keyed by key id, meet in {@link KeyCountersProcessor}, which keeps each key's
 * {@link KeyCounters} and answers each reservation on {@code llm.limits.decisions}. A key's partition has one owner
 * at a time in the whole deployment, so its counts are exact however many gateways take its requests.
 */
public final class LimitsTopology {

    public static final String STORE = "key-counters";
    static final String RESERVATIONS = "reservations";
    static final String USAGE = "usage";
    static final String PROCESSOR = "key-counters";
    static final String DECISIONS = "decisions";
    static final String DLQ_SINK = "dlq";
    static final String STAGE = "gateway-limits";
    /** How often counters are swept: seconds that left the window and places nobody settled are dropped. */
    static final Duration SWEEP = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(LimitsTopology.class);
    private static final JsonSerde<KeyCounters> COUNTERS = new JsonSerde<>(KeyCounters.class);

    private LimitsTopology() {
    }

    public static Topology build(final Topics topics) {
        final Topology topology = new Topology();
        topology.addSource(RESERVATIONS, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                topics.limits().name());
        topology.addSource(USAGE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                topics.usage().name());
        topology.addProcessor(PROCESSOR, new ProcessorSupplier<String, byte[], String, byte[]>() {
            @Override
            public Processor<String, byte[], String, byte[]> get() {
                return new KeyCountersProcessor(topics);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(storeBuilder());
            }
        }, RESERVATIONS, USAGE);
        topology.addSink(DECISIONS, topics.limitDecisions().name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), PROCESSOR);
        topology.addSink(DLQ_SINK, topics.dlqName(), Serdes.String().serializer(), Serdes.ByteArray().serializer(),
                PROCESSOR);
        return topology;
    }

    /**
     * In memory (a key's counters are a few hundred bytes, and only keys used in the last minute have any),
     * changelogged so that the next owner of a partition restores them in a rebalance, no cache: every answer is
     * computed from the latest counts.
     */
    private static StoreBuilder<KeyValueStore<String, byte[]>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORE), Serdes.String(), Serdes.ByteArray())
                .withCachingDisabled()
                .withLoggingEnabled(Map.of());
    }

    static KeyCounters decode(final byte[] bytes) {
        return bytes == null ? null : switch (COUNTERS.decode(bytes)) {
            case Decoded.Ok<KeyCounters> ok -> ok.value();
            case Decoded.Failed<KeyCounters> failed -> null;
        };
    }

    /**
     * Applies reservations, releases and usage records to their key's counters, in the order the key's partition
     * holds them, and answers every reservation. A usage record of a key with no counters (no limits, or a static
     * key) costs one store read and is not decoded, so an unreadable one is dead-lettered only for a key whose counts
     * it could change. Time is the wall clock of the owner, the one clock all of a key's counts use.
     *
     * <p>Threading: Kafka Streams calls everything here on the task's stream thread.
     */
    static final class KeyCountersProcessor implements Processor<String, byte[], String, byte[]> {

        private final JsonSerde<LimitCommand> commands;
        private final JsonSerde<UsageRecord> usage;
        private final JsonSerde<LimitDecision> decisions;
        private final String usageTopic;
        private ProcessorContext<String, byte[]> context;
        private KeyValueStore<String, byte[]> store;

        KeyCountersProcessor(final Topics topics) {
            this.commands = topics.limits().valueSerde();
            this.usage = topics.usage().valueSerde();
            this.decisions = topics.limitDecisions().valueSerde();
            this.usageTopic = topics.usage().name();
        }

        @Override
        public void init(final ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
            context.schedule(SWEEP, PunctuationType.WALL_CLOCK_TIME, this::sweep);
        }

        @Override
        public void process(final Record<String, byte[]> record) {
            final boolean isUsage = context.recordMetadata().map(RecordMetadata::topic)
                    .filter(usageTopic::equals).isPresent();
            if (record.key() == null) {
                deadLetter(record, "a limits record without a key");
                return;
            }
            if (isUsage) {
                // most keys have no counters (no limits, static keys, no key): their records are not even decoded
                final KeyCounters current = decode(store.get(record.key()));
                if (current == null) {
                    return;
                }
                switch (usage.decode(record.value())) {
                    case Decoded.Ok<UsageRecord> ok when ok.value().requestId() != null ->
                            settle(record.key(), current, ok.value());
                    case Decoded.Ok<UsageRecord> ok -> deadLetter(record, "a usage record without a request id");
                    case Decoded.Failed<UsageRecord> failed -> deadLetter(record, failed.reason());
                }
                return;
            }
            switch (commands.decode(record.value())) {
                case Decoded.Ok<LimitCommand> ok when ok.value().kind() != null && ok.value().requestId() != null ->
                        apply(record, ok.value());
                case Decoded.Ok<LimitCommand> ok -> deadLetter(record, "a limit command without a kind or request id");
                case Decoded.Failed<LimitCommand> failed -> deadLetter(record, failed.reason());
            }
        }

        private void apply(final Record<String, byte[]> record, final LimitCommand command) {
            final long now = context.currentSystemTimeMs();
            final KeyCounters current = orEmpty(decode(store.get(record.key())));
            switch (command.kind()) {
                case RESERVE -> {
                    final KeyCounters.Reserved reserved = current.reserve(command, now);
                    write(record.key(), current, reserved.counters());
                    context.forward(new Record<>(command.requestId(), decisions.encode(reserved.decision()),
                            record.timestamp()), DECISIONS);
                }
                case RELEASE -> write(record.key(), current, current.release(command.requestId(), now));
                case FINISH -> write(record.key(), current, current.finish(command.requestId(), now));
            }
        }

        private void settle(final String keyId, final KeyCounters current, final UsageRecord finished) {
            final long used = finished.usageReported() ? finished.totalTokens() : -1;
            write(keyId, current, current.settle(finished.requestId(), used, context.currentSystemTimeMs()));
        }

        private void write(final String keyId, final KeyCounters before, final KeyCounters after) {
            if (after == before) {
                return;
            }
            if (after.isEmpty()) {
                store.delete(keyId);
            } else {
                store.put(keyId, COUNTERS.encode(after));
            }
        }

        private void sweep(final long now) {
            final List<KeyValue<String, KeyCounters>> changed = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> all = store.all()) {
                while (all.hasNext()) {
                    final KeyValue<String, byte[]> entry = all.next();
                    final KeyCounters counters = orEmpty(decode(entry.value));
                    final KeyCounters swept = counters.at(now);
                    if (swept != counters || counters.isEmpty()) {
                        changed.add(KeyValue.pair(entry.key, swept));
                    }
                }
            }
            changed.forEach(entry -> write(entry.key, null, entry.value));
        }

        private static KeyCounters orEmpty(final KeyCounters counters) {
            return counters == null ? KeyCounters.EMPTY : counters;
        }

        private void deadLetter(final Record<String, byte[]> record, final String reason) {
            final RecordMetadata source = context.recordMetadata().orElse(null);
            LOG.warn("limits: record {} sent to the dead-letter topic: {}", record.key(), reason);
            context.forward(new Record<>(record.key(), record.value(), record.timestamp(),
                    DeadLetterHeaders.of(record.headers(), reason, STAGE, source == null ? null : source.topic(),
                            source == null ? -1 : source.partition(), source == null ? -1L : source.offset())),
                    DLQ_SINK);
        }
    }
}
