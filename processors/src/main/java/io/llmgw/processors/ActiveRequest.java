package io.llmgw.processors;

import io.llmgw.schemas.RequestEnvelope;

import java.util.Optional;

/**
 * A request the scheduler has started and not yet ended: its event sequence, its current upstream try, and the
 * clocks its timeouts run on. Owned by the {@link CallScheduler}'s loop thread; never shared.
 */
final class ActiveRequest {

    private final RequestEnvelope envelope;
    private final long admittedAtMs;
    private long nextSeq;
    private boolean streamStarted;
    private int tries;
    private long tryStartedAtMs;
    private long lastChunkAtMs;
    private UpstreamCall call;
    /** When a retry is due, or -1 while a call is running. */
    private long retryDueAtMs = -1;

    ActiveRequest(final RequestEnvelope envelope, final long admittedAtMs) {
        this.envelope = envelope;
        this.admittedAtMs = admittedAtMs;
    }

    RequestEnvelope envelope() {
        return envelope;
    }

    String id() {
        return envelope.id();
    }

    long admittedAtMs() {
        return admittedAtMs;
    }

    long nextSeq() {
        return nextSeq++;
    }

    /** Whether an event of this attempt (chunk or terminal) has taken a seq. */
    boolean hasSentEvents() {
        return nextSeq > 0;
    }

    boolean streamStarted() {
        return streamStarted;
    }

    int tries() {
        return tries;
    }

    /** Records the start of the next try and returns its number. */
    int beginTry(final long nowMs) {
        tries++;
        tryStartedAtMs = nowMs;
        retryDueAtMs = -1;
        return tries;
    }

    void running(final UpstreamCall call) {
        this.call = call;
    }

    boolean isCurrentTry(final int tryNumber) {
        return tryNumber == tries && retryDueAtMs < 0;
    }

    void chunkArrived(final long nowMs) {
        streamStarted = true;
        lastChunkAtMs = nowMs;
    }

    void retryAt(final long dueAtMs) {
        call = null;
        retryDueAtMs = dueAtMs;
    }

    boolean retryDueBy(final long nowMs) {
        return retryDueAtMs >= 0 && nowMs >= retryDueAtMs;
    }

    /** Stops the running call, if any, before the request ends; callbacks already queued find it gone. */
    void abortCall() {
        if (call != null) {
            call.cancel();
            call = null;
        }
    }

    /** The timeout this request has run into at {@code nowMs}, as a message for the client. */
    Optional<String> overdue(final long nowMs, final ModelSpec model) {
        if (nowMs - admittedAtMs >= model.totalTimeout().toMillis()) {
            return Optional.of("the LLM host did not finish within the total timeout of "
                    + seconds(model.totalTimeout().toMillis()));
        }
        if (retryDueAtMs >= 0 || !envelope.stream()) {
            return Optional.empty(); // first-token and idle timeouts are about a running stream's pace
        }
        if (!streamStarted && nowMs - tryStartedAtMs >= model.firstTokenTimeout().toMillis()) {
            return Optional.of("the LLM host sent no first token within " + seconds(model.firstTokenTimeout().toMillis()));
        }
        if (streamStarted && nowMs - lastChunkAtMs >= model.idleTimeout().toMillis()) {
            return Optional.of("the LLM host sent nothing for " + seconds(model.idleTimeout().toMillis())
                    + " in the middle of the stream");
        }
        return Optional.empty();
    }

    /**
     * The earliest moment one of this request's limits can pass (deadline, total timeout, a due retry, the stream's
     * first-token or idle timeout); a timer set for it finds out whether one did.
     */
    long nextCheckAtMs(final ModelSpec model) {
        long due = Math.min(envelope.deadlineMs(), admittedAtMs + model.totalTimeout().toMillis());
        if (retryDueAtMs >= 0) {
            return Math.min(due, retryDueAtMs);
        }
        if (envelope.stream()) {
            due = Math.min(due, streamStarted ? lastChunkAtMs + model.idleTimeout().toMillis()
                    : tryStartedAtMs + model.firstTokenTimeout().toMillis());
        }
        return due;
    }

    /** Whether a retry starting at {@code atMs} would still be inside the total timeout and the deadline. */
    boolean hasTimeForRetryAt(final long atMs, final ModelSpec model) {
        return atMs < envelope.deadlineMs() && atMs - admittedAtMs < model.totalTimeout().toMillis();
    }

    private static String seconds(final long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis / 1000.0 + " s";
    }
}
