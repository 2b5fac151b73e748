package io.llmgw.runtime;

import io.llmgw.schemas.EventType;
import io.llmgw.schemas.ResponseEvent;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReplyPartitionerTest {

    private final ReplyPartitioner partitioner = new ReplyPartitioner();

    @Test
    void shouldChooseTheReplyPartitionWhenTheTopicHasIt() {
        assertEquals(Optional.of(Set.of(3)), partition(eventFor(3), 6));
        assertEquals(Optional.of(Set.of(0)), partition(eventFor(0), 6));
        assertEquals(Optional.of(Set.of(5)), partition(eventFor(5), 6));
    }

    @Test
    void shouldLeaveTheChoiceToKafkaWhenThePartitionIsOutOfRange() {
        assertEquals(Optional.empty(), partition(eventFor(6), 6));
        assertEquals(Optional.empty(), partition(eventFor(-1), 6));
    }

    @Test
    @SuppressWarnings("removal")
    void shouldChooseTheSamePartitionWhenCalledWithoutHeaders() {
        assertEquals(Optional.of(Set.of(2)), partitioner.partitions("llm.events", "req_1", eventFor(2), 6));
        assertEquals(Optional.empty(), partitioner.partitions("llm.events", "req_1", eventFor(9), 6));
    }

    private Optional<Set<Integer>> partition(final ResponseEvent event, final int numPartitions) {
        return partitioner.partitions("llm.events", "req_1", event, new RecordHeaders(), numPartitions);
    }

    private static ResponseEvent eventFor(final int replyPartition) {
        return new ResponseEvent("req_1", 0, EventType.ERROR, 500, null, null, replyPartition, 1);
    }
}
