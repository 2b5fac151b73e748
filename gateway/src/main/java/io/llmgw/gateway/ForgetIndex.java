package io.llmgw.gateway;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The request results in the order they may be forgotten: a store keyed by forget time (8 bytes, big-endian, so the
 * store's byte order is time order) and then the request id, so that a sweep reads only the requests that are due.
 * The sweep it replaced decoded every stored state once a minute: with an hour of results at a thousand requests a
 * second, millions of decodes a minute, a cost that grew with the retention and not with the traffic.
 *
 * <p>Not changelogged: whoever opens the task rebuilds it from the results store in the pass that also rebuilds the
 * expiry index ({@link #track} of each stored state; puts of keys already there change nothing). An entry left over
 * from an older state of a request is harmless: the sweep checks the request's current state before it forgets it.
 *
 * <p>Threading: used on the results task's stream thread only, like the store it indexes.
 */
final class ForgetIndex {

    static final String STORE = "request-results-forget";
    private static final byte[] PRESENT = new byte[0];

    private final KeyValueStore<Bytes, byte[]> store;
    private final Duration retention;
    /**
     * Where the next sweep starts: the last sweep's time, or an earlier entry put since. Deleted entries stay in
     * RocksDB as tombstones until compaction, and a sweep from the start of the key space would step over all of them.
     * {@link Long#MIN_VALUE}: from the start (a newly opened task).
     */
    private long sweepFrom = Long.MIN_VALUE;

    ForgetIndex(final KeyValueStore<Bytes, byte[]> store, final Duration retention) {
        this.store = store;
        this.retention = retention;
    }

    /** Persistent (an hour of results does not fit the heap), cached so that a commit's writes reach RocksDB once. */
    static StoreBuilder<KeyValueStore<Bytes, byte[]>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.Bytes(), Serdes.ByteArray())
                .withCachingEnabled()
                .withLoggingDisabled();
    }

    /** Moves a request's entry from its {@code previous} state's forget time (null: none yet) to {@code next}'s. */
    void track(final RequestState previous, final RequestState next) {
        final long before = previous == null ? RequestState.NOT_BY_TIME : previous.forgetAtMs(retention);
        final long after = next.forgetAtMs(retention);
        if (before == after && previous != null) {
            return;
        }
        if (before != RequestState.NOT_BY_TIME) {
            store.delete(key(before, previous.id()));
        }
        if (after != RequestState.NOT_BY_TIME) {
            store.put(key(after, next.id()), PRESENT);
            // an entry already due (a request first seen long after it came) must not fall behind the sweep
            sweepFrom = Math.min(sweepFrom, after);
        }
    }

    /** Takes the entries due at {@code nowMs} out of the index and returns their request ids, oldest first. */
    List<String> takeDue(final long nowMs) {
        final List<Bytes> due = new ArrayList<>();
        // range ends are inclusive: an entry of exactly nowMs waits for the next sweep, a millisecond is nothing here
        final Bytes from = sweepFrom == Long.MIN_VALUE ? null : key(sweepFrom, "");
        try (KeyValueIterator<Bytes, byte[]> entries = store.range(from, key(nowMs, ""))) {
            while (entries.hasNext()) {
                due.add(entries.next().key);
            }
        }
        sweepFrom = nowMs;
        final List<String> ids = new ArrayList<>(due.size());
        for (final Bytes key : due) {
            store.delete(key);
            ids.add(idOf(key));
        }
        return ids;
    }

    static Bytes key(final long forgetAtMs, final String id) {
        final byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + idBytes.length).putLong(forgetAtMs).put(idBytes).array());
    }

    static long forgetAtOf(final Bytes key) {
        return ByteBuffer.wrap(key.get()).getLong();
    }

    static String idOf(final Bytes key) {
        final byte[] bytes = key.get();
        return new String(Arrays.copyOfRange(bytes, Long.BYTES, bytes.length), StandardCharsets.UTF_8);
    }
}
