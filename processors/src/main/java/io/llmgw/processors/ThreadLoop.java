package io.llmgw.processors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A {@link SchedulerLoop} on one daemon thread of a {@link ScheduledThreadPoolExecutor}: it sleeps until a task or
 * timer is due, so an idle worker costs no CPU (the old 1 ms drain punctuator cost about 5% of a core per model).
 * A task that throws is logged and the loop goes on: one bad callback must not stop every request of the model.
 */
final class ThreadLoop implements SchedulerLoop {

    private static final Logger LOG = LoggerFactory.getLogger(ThreadLoop.class);

    private final ScheduledThreadPoolExecutor executor;

    ThreadLoop(final String threadName) {
        executor = new ScheduledThreadPoolExecutor(1, task -> {
            final Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true); // timers of finished calls must not pile up in the queue
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public long nowMs() {
        return System.currentTimeMillis();
    }

    @Override
    public void execute(final Runnable task) {
        if (!executor.isShutdown()) {
            executor.execute(guarded(task));
        }
    }

    @Override
    public Timer schedule(final long delayMs, final Runnable task) {
        if (executor.isShutdown()) {
            return () -> { };
        }
        final ScheduledFuture<?> future = executor.schedule(guarded(task), Math.max(0, delayMs), TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
    }

    private static Runnable guarded(final Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (final RuntimeException | Error e) {
                LOG.error("a call scheduler task failed; the scheduler goes on", e);
            }
        };
    }

    @Override
    public void close() {
        executor.shutdown(); // tasks already queued still run (the scheduler's own clean-up is one)
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("the call scheduler thread did not stop within 5 s");
                executor.shutdownNow();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
