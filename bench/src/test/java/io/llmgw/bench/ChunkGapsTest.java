package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChunkGapsTest {

    private static final long MS = 1_000_000;

    @Test
    void shouldChargeThePathOnlyWithWhatItAddedToTheHostsOwnGaps() {
        final ChunkGaps gaps = new ChunkGaps(Duration.ofMillis(20));
        // the host wrote its third chunk 30 ms late (its own sleep); the path then held the fourth 15 ms
        gaps.add(List.of(5 * MS, 25 * MS, 75 * MS, 110 * MS), List.of(0L, 20 * MS, 70 * MS, 90 * MS));

        assertEquals(15.0, gaps.addedMs().max(), 0.1);
        assertEquals(30.0, gaps.overPaceMs().max(), 0.1);
        assertEquals(3, gaps.addedMs().count());
    }

    @Test
    void shouldJudgeAStreamAgainstTheNominalPaceWhenTheHostsRecordDoesNotPairWithIt() {
        final ChunkGaps gaps = new ChunkGaps(Duration.ofMillis(20));
        // a re-run: the host's last call wrote two chunks, the caller read three
        gaps.add(List.of(0L, 20 * MS, 65 * MS), List.of(0L, 20 * MS));

        assertEquals(25.0, gaps.addedMs().max(), 0.1);
        assertEquals(gaps.overPaceMs().max(), gaps.addedMs().max(), 0.001);
    }
}
