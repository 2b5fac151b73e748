package io.llmgw.processors;

import io.llmgw.schemas.Priority;
import io.llmgw.schemas.RequestEnvelope;

/**
 * One request the {@link CallScheduler} holds, from the moment a task hands it over until its terminal event: first
 * waiting for a slot, then running ({@link #active()} not null). Owned by the scheduler's loop thread.
 */
final class ScheduledCall {

    private final RequestEnvelope request;
    private final TaskLane lane;
    private final long arrival;
    private final long enqueuedAtMs;
    private ActiveRequest active;
    private SchedulerLoop.Timer timer;

    ScheduledCall(final RequestEnvelope request, final TaskLane lane, final long arrival, final long enqueuedAtMs) {
        this.request = request;
        this.lane = lane;
        this.arrival = arrival;
        this.enqueuedAtMs = enqueuedAtMs;
    }

    RequestEnvelope request() {
        return request;
    }

    String id() {
        return request.id();
    }

    Priority priority() {
        return request.priority();
    }

    TaskLane lane() {
        return lane;
    }

    /** Arrival order at this scheduler: the tie-break between equal deadlines. */
    long arrival() {
        return arrival;
    }

    long enqueuedAtMs() {
        return enqueuedAtMs;
    }

    boolean isRunning() {
        return active != null;
    }

    ActiveRequest active() {
        return active;
    }

    void started(final ActiveRequest request) {
        this.active = request;
    }

    /** Replaces the pending timer (cancelling the old one): one timer per call at a time. */
    void timer(final SchedulerLoop.Timer next) {
        cancelTimer();
        this.timer = next;
    }

    void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }
}
