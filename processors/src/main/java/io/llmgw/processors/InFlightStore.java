package io.llmgw.processors;

import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The changelogged store of requests a task has read and not finished, waiting or running (guarantee 2). Values are kept as bytes and
 * read with the never-throwing serde, so an entry written by an incompatible version is dropped with a warning instead
 * of failing the task on every restart.
 */
final class InFlightStore {

    static final String NAME = "inflight";

    private static final Logger LOG = LoggerFactory.getLogger(InFlightStore.class);
    private static final JsonSerde<InFlightEntry> SERDE = new JsonSerde<>(InFlightEntry.class);

    private final KeyValueStore<String, byte[]> store;

    InFlightStore(final KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    /**
     * In memory, restored from its changelog: it holds only unfinished requests (at most the read-ahead plus the
     * running ones). No caching, so a put reaches the
     * changelog before the input offset can commit. Compaction settings keep the changelog (and so the restore after a
     * failover) short although every request writes and deletes an entry.
     */
    static StoreBuilder<KeyValueStore<String, byte[]>> builder() {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(NAME), Serdes.String(), Serdes.ByteArray())
                .withCachingDisabled()
                .withLoggingEnabled(Map.of(
                        TopicConfig.SEGMENT_MS_CONFIG, "600000",
                        TopicConfig.DELETE_RETENTION_MS_CONFIG, "600000",
                        TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1"));
    }

    void put(final InFlightEntry entry) {
        store.put(entry.request().id(), SERDE.encode(entry));
    }

    boolean contains(final String requestId) {
        return store.get(requestId) != null;
    }

    void remove(final String requestId) {
        store.delete(requestId);
    }

    /** Every readable entry; unreadable ones are deleted. */
    List<InFlightEntry> readAll() {
        final List<InFlightEntry> entries = new ArrayList<>();
        final List<String> unreadable = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            while (all.hasNext()) {
                final KeyValue<String, byte[]> next = all.next();
                switch (SERDE.decode(next.value)) {
                    case Decoded.Ok<InFlightEntry> ok when ok.value().request() != null -> entries.add(ok.value());
                    case Decoded.Ok<InFlightEntry> ok -> unreadable(next.key, "no request", unreadable);
                    case Decoded.Failed<InFlightEntry> failed -> unreadable(next.key, failed.reason(), unreadable);
                }
            }
        }
        unreadable.forEach(store::delete);
        return entries;
    }

    private static void unreadable(final String id, final String reason, final List<String> unreadable) {
        LOG.warn("dropping unreadable in-flight entry {}: {}", id, reason);
        unreadable.add(id);
    }
}
