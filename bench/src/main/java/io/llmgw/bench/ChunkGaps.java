package io.llmgw.bench;

import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.List;

/**
 * What a path added between two chunks of one stream: the gap the caller saw minus the gap between the host's writes
 * of the same two chunks, both on one {@link System#nanoTime()} clock (host and caller share the benchmark's JVM).
 * The host's own lateness (a sleep that woke late) is its pacing, not the path's; the gap over the nominal pace is
 * kept beside it so a reader sees both.
 *
 * <p>Not thread-safe: one per case, filled and read by the case's thread.
 */
final class ChunkGaps {

    private final Duration pace;
    private final Histogram added = LatencyStats.newMicrosHistogram();
    private final Histogram overPace = LatencyStats.newMicrosHistogram();

    ChunkGaps(final Duration pace) {
        this.pace = pace;
    }

    /**
     * Records the gaps of one stream. When the host's record and the caller's disagree on the number of chunks (a
     * re-run, a stream cut short), the stream is judged against the nominal pace: there is no pairing to trust.
     */
    void add(final List<Long> arrivedNanos, final List<Long> writtenNanos) {
        final boolean paired = writtenNanos.size() == arrivedNanos.size();
        for (int i = 1; i < arrivedNanos.size(); i++) {
            final long gap = arrivedNanos.get(i) - arrivedNanos.get(i - 1);
            final long hostGap = paired ? writtenNanos.get(i) - writtenNanos.get(i - 1) : pace.toNanos();
            added.recordValue(Math.max(0, (gap - hostGap) / 1000));
            overPace.recordValue(Math.max(0, (gap - pace.toNanos()) / 1000));
        }
    }

    LatencyStats addedMs() {
        return LatencyStats.ofMicros(added);
    }

    LatencyStats overPaceMs() {
        return LatencyStats.ofMicros(overPace);
    }
}
