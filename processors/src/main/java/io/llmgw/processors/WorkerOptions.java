package io.llmgw.processors;

import java.time.Duration;

/**
 * What the stream tasks of one worker instance share, plus the drain interval.
 *
 * @param cancels      cancelled request ids, fed by the control topic
 * @param budget       the instance's concurrency, split among its tasks
 * @param metrics      meters tagged with the model
 * @param tickInterval how often the punctuator forwards callback events and checks timeouts; it bounds the latency a
 *                     chunk gains between the LLM host and the events topic
 */
public record WorkerOptions(CancelRegistry cancels, CallBudget budget, WorkerMetrics metrics, Duration tickInterval) {

    /** 1 ms: at 5 ms the wait for the next tick was most of the worker's hop (BENCHMARKS.md); idle cost unmeasurable. */
    public static final Duration DEFAULT_TICK = Duration.ofMillis(1);

    public WorkerOptions {
        if (tickInterval == null || tickInterval.toMillis() < 1) {
            throw new IllegalArgumentException("the tick interval must be at least 1 ms, got " + tickInterval);
        }
    }

    /** Fresh shared objects for one instance serving {@code model}, meters in the global registry. */
    public static WorkerOptions forModel(final ModelSpec model) {
        return new WorkerOptions(new CancelRegistry(), new CallBudget(model.concurrency()),
                WorkerMetrics.global(model.name(), "0"), DEFAULT_TICK);
    }
}
