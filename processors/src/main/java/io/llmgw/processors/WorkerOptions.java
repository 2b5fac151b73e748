package io.llmgw.processors;

import java.time.Duration;

/**
 * What the stream tasks of one worker instance share.
 *
 * @param cancels       cancelled request ids, fed by the control topic
 * @param scheduler     the instance's calls: the cap, the admission order, the events of started requests
 * @param metrics       meters tagged with the model
 * @param storeInterval how often a task's stream thread writes what the scheduler reported (running, stream started,
 *                      finished) into its in-flight store; it bounds only what a crash can repeat, never a chunk's
 *                      latency
 */
public record WorkerOptions(CancelRegistry cancels, CallScheduler scheduler, WorkerMetrics metrics,
                            Duration storeInterval) {

    /** 0.1 s: an idle stream thread wakes ten times a second, and a crash repeats at most that much of the store. */
    public static final Duration DEFAULT_STORE_INTERVAL = Duration.ofMillis(100);

    public WorkerOptions {
        if (storeInterval == null || storeInterval.toMillis() < 1) {
            throw new IllegalArgumentException("the store interval must be at least 1 ms, got " + storeInterval);
        }
    }
}
