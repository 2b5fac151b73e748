package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.ResponseEvent;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * The requests of this gateway that a client is waiting for, by request id. Handlers register before they publish
 * (so that no reply can arrive before anyone listens) and unregister when they are done; the reply consumer
 * dispatches events to whoever is registered and ignores the rest.
 *
 * <p>It also knows which events partitions have waiters ({@link #partitionsWaitedOn}): the reply consumer keeps reading
 * a partition this gateway no longer claims until the last request waiting there has its answer.
 */
public final class PendingReplies {

    private final Map<String, PendingReply> byId = new ConcurrentHashMap<>();
    private final Map<Integer, Integer> waitersByPartition = new ConcurrentHashMap<>();
    private final ToIntFunction<String> partitionOf;

    /** For tests that never ask where a request's events are. */
    public PendingReplies() {
        this(id -> -1);
    }

    /** @param partitionOf the events partition of a request id ({@link RequestIdMint#partitionOf}) */
    public PendingReplies(final ToIntFunction<String> partitionOf) {
        this.partitionOf = partitionOf;
    }

    public PendingReply register(final String id) {
        final int partition = partitionOf.applyAsInt(id);
        final PendingReply pending = new PendingReply(id, partition, System.currentTimeMillis());
        if (byId.putIfAbsent(id, pending) != null) {
            throw new IllegalStateException("request id registered twice: " + id);
        }
        if (partition >= 0) {
            waitersByPartition.merge(partition, 1, Integer::sum);
        }
        return pending;
    }

    public void unregister(final String id) {
        final PendingReply removed = byId.remove(id);
        if (removed != null && removed.partition() >= 0) {
            waitersByPartition.computeIfPresent(removed.partition(), (partition, count) -> count > 1 ? count - 1 : null);
        }
    }

    /** True when a client here waits for request {@code id}. */
    public boolean isWaiting(final String id) {
        return id != null && byId.containsKey(id);
    }

    /** The events partitions at least one waiting request of this gateway gets its reply from. */
    public Set<Integer> partitionsWaitedOn() {
        return Set.copyOf(waitersByPartition.keySet());
    }

    /** When the earliest request still waiting on {@code partition} registered (epoch ms); empty when none waits. */
    public OptionalLong earliestWaitOn(final int partition) {
        return byId.values().stream().filter(pending -> pending.partition() == partition)
                .mapToLong(PendingReply::registeredAtMs).min();
    }

    /** Hands an event to the request it belongs to; false when nobody here waits for it. */
    public boolean dispatch(final ResponseEvent event) {
        if (event == null || event.id() == null) {
            return false;
        }
        final PendingReply pending = byId.get(event.id());
        if (pending == null) {
            return false;
        }
        pending.offer(event);
        return true;
    }

    /** Ends every waiting request with {@code error} (shutdown); returns their ids. */
    public List<String> failAll(final ApiError error) {
        final List<String> ids = List.copyOf(byId.keySet());
        byId.values().forEach(pending -> pending.fail(error));
        return ids;
    }

    public int size() {
        return byId.size();
    }
}
