package io.llmgw.processors;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ids of the last requests that ended at one task (their terminal event acknowledged, or handed to a fallback), so
 * that a copy of one read again is not run again. Copies come from an at-least-once hop before the worker: a router
 * killed before its commit (once a second) routes again what it read last, and a batch driver that took a batch over
 * publishes again a line whose {@code queued} marker it never saw. The in-flight store catches a copy of a request
 * still held here; this catches one of a request that ended in between. It is memory only: after a failover the
 * task's new owner does not know what ended at the old one (see the module README).
 *
 * <p>Owned by the task's stream thread, like the store.
 */
final class RecentlyEnded {

    /** Enough for several seconds of a busy task; an id costs about a hundred bytes. */
    static final int CAPACITY = 4096;

    private final Map<String, Boolean> ids;

    RecentlyEnded(final int capacity) {
        this.ids = new LinkedHashMap<>(capacity * 2, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    void add(final String requestId) {
        ids.put(requestId, Boolean.TRUE);
    }

    boolean contains(final String requestId) {
        return ids.containsKey(requestId);
    }
}
