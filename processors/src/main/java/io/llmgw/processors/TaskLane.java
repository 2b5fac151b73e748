package io.llmgw.processors;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One stream task's side of the {@link CallScheduler}: the changes the scheduler wants in that task's in-flight store,
 * queued until the task's stream thread applies them (only that thread may write the store), and whether the task is
 * still open. Written by the scheduler's loop and the producer's callback thread, drained by the stream thread.
 */
final class TaskLane {

    /** A change to the in-flight store. */
    sealed interface StoreChange {
        record Put(InFlightEntry entry) implements StoreChange {
        }

        record Remove(String requestId) implements StoreChange {
        }
    }

    private final String name;
    private final Queue<StoreChange> changes = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    TaskLane(final String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    boolean isClosed() {
        return closed;
    }

    void close() {
        closed = true;
        changes.clear();
    }

    void put(final InFlightEntry entry) {
        if (!closed) {
            changes.add(new StoreChange.Put(entry));
        }
    }

    void remove(final String requestId) {
        if (!closed) {
            changes.add(new StoreChange.Remove(requestId));
        }
    }

    /** Applies the queued changes in order, noting each removed (ended) request in {@code ended}; stream thread only. */
    void applyTo(final InFlightStore store, final RecentlyEnded ended) {
        for (StoreChange change = changes.poll(); change != null; change = changes.poll()) {
            switch (change) {
                case StoreChange.Put put -> store.put(put.entry());
                case StoreChange.Remove remove -> {
                    store.remove(remove.requestId());
                    ended.add(remove.requestId());
                }
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
