package io.llmgw.processors;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits one worker instance's {@link ModelSpec#concurrency()} evenly among the stream tasks it runs, so that the
 * instance as a whole keeps about that many calls in flight however many partitions it is assigned.
 *
 * <p>Why a fair share and not one shared counter: a task that waits for a free slot blocks its stream thread, and
 * slots held by another task on that thread would only free up when that task runs again, which it cannot. With a
 * share per task a waiting task only ever waits for its own calls, which it drains and times out itself. Every task
 * gets at least one slot, so with more tasks than {@code concurrency} the instance runs one call per task.
 */
public final class CallBudget {

    private final int total;
    private final AtomicInteger tasks = new AtomicInteger();

    public CallBudget(final int total) {
        if (total < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1");
        }
        this.total = total;
    }

    void taskStarted() {
        tasks.incrementAndGet();
    }

    void taskStopped() {
        tasks.decrementAndGet();
    }

    /** Requests one task may hold at once now; changes when tasks come and go in a rebalance. */
    int perTaskLimit() {
        return Math.max(1, total / Math.max(1, tasks.get()));
    }
}
