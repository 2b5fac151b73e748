package io.llmgw.processors;

/**
 * The one thread a {@link CallScheduler} runs on, with its clock and timers. Production uses {@link ThreadLoop};
 * tests drive a manual one, so that time moves only when the test says.
 */
interface SchedulerLoop extends AutoCloseable {

    /** A scheduled task that may still be called off. */
    interface Timer {
        void cancel();
    }

    long nowMs();

    /** Runs {@code task} on the loop thread, after the tasks already queued; callable from any thread. */
    void execute(Runnable task);

    /** Runs {@code task} on the loop thread once {@code delayMs} has passed (at once if not positive). */
    Timer schedule(long delayMs, Runnable task);

    @Override
    void close();
}
