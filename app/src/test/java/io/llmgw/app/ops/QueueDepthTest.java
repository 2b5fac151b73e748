package io.llmgw.app.ops;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class QueueDepthTest {

    private static final TopicPartition P0 = new TopicPartition("llm.requests.m", 0);
    private static final TopicPartition P1 = new TopicPartition("llm.requests.m", 1);

    @Test
    void shouldSumEndMinusCommittedOverPartitionsWhenTheGroupCommittedEverywhere() {
        assertEquals(7, QueueDepth.depth(Map.of(P0, 10L, P1, 5L), Map.of(P0, 0L, P1, 0L), Map.of(P0, 6L, P1, 2L)));
    }

    @Test
    void shouldCountFromTheLogStartWhenThePartitionHasNoCommit() {
        // P1's first 3 records were deleted by retention; the group never committed there
        assertEquals(4 + 2, QueueDepth.depth(Map.of(P0, 10L, P1, 5L), Map.of(P0, 0L, P1, 3L), Map.of(P0, 6L)));
    }

    @Test
    void shouldNeverGoNegativeWhenACommitIsAheadOfTheListedEnd() {
        assertEquals(0, QueueDepth.depth(Map.of(P0, 10L), Map.of(P0, 0L), Map.of(P0, 11L)));
    }

    @Test
    void shouldBeZeroWhenTheTopicIsEmpty() {
        assertEquals(0, QueueDepth.depth(Map.of(P0, 0L, P1, 0L), Map.of(P0, 0L, P1, 0L), Map.of()));
    }
}
