package io.llmgw.processors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link SchedulerLoop} on one daemon platform thread that sleeps until a task or a timer is due, so an idle worker
 * costs no CPU (the old 1 ms drain punctuator cost about 5% of a core per model). A task that throws is logged and the
 * loop goes on: one bad callback must not stop every request of the model.
 *
 * <p>Tasks ({@link #execute}) and timers ({@link #schedule}) are kept apart. Every chunk of every stream is a task,
 * offered by the stream's reader thread; timers are a few per call (deadline, limits, the started marker), mostly far
 * ahead. In one {@link ScheduledThreadPoolExecutor} each task went through the timers' heap (a sift up on offer and a
 * sift down on take, among thousands of timers at 2,000 streams, under one lock that every reader thread contended
 * for): the hottest method of the worker's process in the 2,000-stream profile. Here tasks go through a lock-free queue,
 * and timers wait in their own executor, whose thread only hands a due timer to the loop as a task.
 *
 * <p>Threads: the loop thread runs every task and every timer's task, so the scheduler's state has one owner. Any thread
 * may call {@link #execute}; {@link #schedule} and {@link Timer#cancel} are for the loop thread (the scheduler calls
 * them from its tasks), so a cancelled timer never runs, even one already handed over. The timer thread
 * ({@code <name>-timers}) runs nothing but those hand-overs.
 */
final class ThreadLoop implements SchedulerLoop {

    private static final Logger LOG = LoggerFactory.getLogger(ThreadLoop.class);
    private static final long CLOSE_WAIT_MS = 5_000;

    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final ScheduledThreadPoolExecutor timers;
    private final Thread thread;
    /** The loop thread is about to park or parked: an offer must wake it. */
    private volatile boolean parked;
    private volatile boolean closing;

    ThreadLoop(final String threadName) {
        timers = new ScheduledThreadPoolExecutor(1, handOver -> {
            final Thread timerThread = new Thread(handOver, threadName + "-timers");
            timerThread.setDaemon(true);
            return timerThread;
        });
        timers.setRemoveOnCancelPolicy(true); // timers of finished calls must not pile up in the queue
        thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public long nowMs() {
        return System.currentTimeMillis();
    }

    @Override
    public void execute(final Runnable task) {
        if (closing) {
            return;
        }
        tasks.offer(task);
        // after the offer: a loop that set parked before it looked at the queue either sees the task or is unparked
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public Timer schedule(final long delayMs, final Runnable task) {
        if (closing) {
            return () -> { };
        }
        final TimedTask timed = new TimedTask(task);
        timed.future = timers.schedule(() -> execute(timed), Math.max(0, delayMs), TimeUnit.MILLISECONDS);
        return timed;
    }

    /** A timer's task as the loop runs it: skipped once cancelled, which only the loop thread does. */
    private static final class TimedTask implements Runnable, Timer {

        private final Runnable task;
        private ScheduledFuture<?> future;
        private boolean cancelled;

        TimedTask(final Runnable task) {
            this.task = task;
        }

        @Override
        public void run() {
            if (!cancelled) {
                task.run();
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            future.cancel(false);
        }
    }

    private void run() {
        while (true) {
            final Runnable task = tasks.poll();
            if (task != null) {
                try {
                    task.run();
                } catch (final RuntimeException | Error e) {
                    LOG.error("a call scheduler task failed; the scheduler goes on", e);
                }
                continue;
            }
            if (closing) {
                return; // the queue is drained: tasks offered before close() have run
            }
            parked = true;
            if (tasks.isEmpty() && !closing) {
                LockSupport.park(this);
            }
            parked = false;
        }
    }

    @Override
    public void close() {
        timers.shutdownNow(); // timers not yet due are dropped, as the scheduler's clean-up expects
        closing = true;
        LockSupport.unpark(thread);
        if (Thread.currentThread() == thread) {
            return; // closed from one of its own tasks: the loop ends after this task
        }
        try {
            thread.join(CLOSE_WAIT_MS);
            if (thread.isAlive()) {
                LOG.warn("the call scheduler thread did not stop within 5 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
