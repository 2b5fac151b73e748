package io.llmgw.gateway;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * How far the results app of this instance has read each events partition it holds: the offset after the last record
 * its processor took. A lookup of an unfinished request waits here until the results have caught up with the events
 * topic as it stood when the lookup came, so that a client that has seen a stream's {@code [DONE]} on
 * {@code /events} (read straight from Kafka) never reads {@code running} afterwards.
 *
 * <p>Threading: the results stream thread writes ({@link #read}, {@link #forget}) under the monitor, which also wakes
 * lookups waiting in {@link #awaitReached} on HTTP threads.
 */
final class ResultsProgress {

    private final Map<Integer, Long> nextOffset = new ConcurrentHashMap<>();

    /** The processor took the record at {@code offset} of {@code partition}. */
    void read(final int partition, final long offset) {
        synchronized (this) {
            nextOffset.merge(partition, offset + 1, Math::max);
            notifyAll();
        }
    }

    /** The task of {@code partition} (re)starts here, or left: what it had read no longer says anything. */
    void forget(final int partition) {
        nextOffset.remove(partition);
    }

    /**
     * Waits until the records of {@code partition} before {@code endOffset} have been read, or {@code timeout}.
     *
     * @return whether they have
     */
    boolean awaitReached(final int partition, final long endOffset, final Duration timeout)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            long left;
            while (nextOffset.getOrDefault(partition, -1L) < endOffset) {
                left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }
    }
}
