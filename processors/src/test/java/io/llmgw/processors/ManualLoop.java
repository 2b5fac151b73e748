package io.llmgw.processors;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.PriorityQueue;

/**
 * A {@link SchedulerLoop} for tests: tasks run on the calling thread (queued while another runs, so nothing
 * re-enters), and time moves only in {@link #advance}, which runs the timers that fall due on the way, in order.
 */
final class ManualLoop implements SchedulerLoop {

    private record Due(long atMs, long order, Runnable task, boolean[] cancelled) {
    }

    private final Deque<Runnable> queue = new ArrayDeque<>();
    private final PriorityQueue<Due> timers = new PriorityQueue<>(
            Comparator.comparingLong(Due::atMs).thenComparingLong(Due::order));
    private long now;
    private long order;
    private boolean running;

    ManualLoop(final long startMs) {
        this.now = startMs;
    }

    @Override
    public synchronized long nowMs() {
        return now;
    }

    @Override
    public synchronized void execute(final Runnable task) {
        queue.add(task);
        if (running) {
            return;
        }
        running = true;
        try {
            for (Runnable next = queue.poll(); next != null; next = queue.poll()) {
                next.run();
            }
        } finally {
            running = false;
        }
    }

    @Override
    public synchronized Timer schedule(final long delayMs, final Runnable task) {
        final boolean[] cancelled = {false};
        timers.add(new Due(now + Math.max(0, delayMs), order++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    /** Moves the clock by {@code millis}, running each timer at its own time. */
    synchronized void advance(final long millis) {
        final long target = now + millis;
        for (Due due = timers.peek(); due != null && due.atMs() <= target; due = timers.peek()) {
            timers.poll();
            now = Math.max(now, due.atMs());
            if (!due.cancelled()[0]) {
                execute(due.task());
            }
        }
        now = target;
    }

    @Override
    public void close() {
    }
}
