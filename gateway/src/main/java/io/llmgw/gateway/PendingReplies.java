package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.ResponseEvent;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests of this gateway that a client is waiting for, by request id. Handlers register before they publish
 * (so that no reply can arrive before anyone listens) and unregister when they are done; the reply consumer
 * dispatches events to whoever is registered and ignores the rest.
 */
public final class PendingReplies {

    private final Map<String, PendingReply> byId = new ConcurrentHashMap<>();

    public PendingReply register(final String id) {
        final PendingReply pending = new PendingReply(id);
        if (byId.putIfAbsent(id, pending) != null) {
            throw new IllegalStateException("request id registered twice: " + id);
        }
        return pending;
    }

    public void unregister(final String id) {
        byId.remove(id);
    }

    /** True when a client here waits for request {@code id}. */
    public boolean isWaiting(final String id) {
        return id != null && byId.containsKey(id);
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
