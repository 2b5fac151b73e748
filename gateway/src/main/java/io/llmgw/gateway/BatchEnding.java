package io.llmgw.gateway;

import io.llmgw.batches.BatchRecord;
import io.llmgw.batches.BatchStatus;

/**
 * When a batch's window has passed, and how a line's error reads once its batch is ending. A line's deadline is its
 * batch's {@code expires_at}, so at expiry the workers end the lines they hold with deadline errors, and the run's
 * cancels end the rest: those lines did not fail, they were cut short, and are written as not run
 * ({@code batch_expired}, or {@code batch_cancelled} for a cancel) as OpenAI writes what a batch did not finish.
 * Pure.
 */
final class BatchEnding {

    /**
     * A second of slack for errors: the worker that ends a line at its deadline does so by its own clock, which may
     * be a little ahead of the driver's.
     */
    static final long CLOCK_SLACK_MS = 1_000;

    private BatchEnding() {
    }

    /** Whether {@code record}'s completion window has passed at {@code atMs}. */
    static boolean isPastExpiry(final BatchRecord record, final long atMs) {
        return atMs >= record.expiresAt() * 1000;
    }

    /**
     * How an error event written at {@code atMs} ends its line: cut short by the batch's end, or null when the line
     * failed on its own. {@code ending} is the end the run has seen (null while it runs). The event's time, not the
     * clock, decides, so that a run taking a batch over reads its predecessor's events the same way.
     */
    static BatchStatus cutShortAs(final BatchStatus ending, final BatchRecord record, final long atMs) {
        if (ending != null) {
            return ending;
        }
        if (record.cancellingAt() != null && atMs >= record.cancellingAt() * 1000) {
            return BatchStatus.CANCELLED;
        }
        return isPastExpiry(record, atMs + CLOCK_SLACK_MS) ? BatchStatus.EXPIRED : null;
    }
}
