package io.llmgw.gateway;

import io.llmgw.runtime.ProcessFailure;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reply consumer follows claims that change, and keeps reading a partition given up while someone waits there. */
class ReplyClaimsFollowTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final Topic<String, ResponseEvent> events = new Topics("test").events();
    private final TopicPartition p1 = new TopicPartition(events.name(), 1);
    private final TopicPartition p2 = new TopicPartition(events.name(), 2);
    private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("latest");
    /** Request ids name their partition in this test: {@code req_p1_...} is on partition 1. */
    private final PendingReplies pending = new PendingReplies(id -> id.startsWith("req_p1") ? 1 : 2);
    private final Claims claims = new Claims();
    private ReplyConsumer replies;

    /** Claims a test hands out and takes back, as the group would. */
    private static final class Claims implements ReplyClaims {
        private volatile Set<Integer> held = Set.of();

        synchronized void hold(final Integer... partitions) {
            held = Set.of(partitions);
            notifyAll();
        }

        @Override
        public Set<Integer> held() {
            return held;
        }

        @Override
        public synchronized void awaitChange(final Duration timeout) throws InterruptedException {
            TimeUnit.MILLISECONDS.timedWait(this, timeout.toMillis()); // woken by hold()
        }

        @Override
        public boolean isAlive() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @AfterEach
    void stop() {
        replies.close();
    }

    private void add(final TopicPartition partition, final long offset, final ResponseEvent event) {
        consumer.addRecord(new ConsumerRecord<>(partition.topic(), partition.partition(), offset, event.id(),
                events.valueSerde().encode(event)));
    }

    @Test
    void shouldStampNothingAndStayUnreadyUntilAPartitionIsClaimedThenReadItFromItsEnd() {
        consumer.updateEndOffsets(Map.of(p1, 12L, p2, 30L));
        replies = ReplyConsumer.start(consumer, events, claims, pending, ProcessFailure.create());
        assertFalse(replies.isReady());
        assertEquals(Set.of(), replies.stampable());

        claims.hold(2);

        await().atMost(WAIT).until(replies::isReady);
        assertEquals(Set.of(2), replies.stampable());
        assertEquals(Set.of(p2), consumer.assignment());
        assertEquals(30L, consumer.position(p2));
    }

    @Test
    void shouldKeepReadingAGivenUpPartitionUntilItsLastWaiterIsDoneWhenTheClaimMoves() throws Exception {
        consumer.updateEndOffsets(Map.of(p1, 0L, p2, 0L));
        claims.hold(1, 2);
        replies = ReplyConsumer.start(consumer, events, claims, pending, ProcessFailure.create());
        await().atMost(WAIT).until(() -> replies.stampable().equals(Set.of(1, 2)));
        final PendingReply streaming = pending.register("req_p1_stream");

        claims.hold(2); // partition 1 moved to a gateway that just joined
        await().atMost(WAIT).until(() -> replies.stampable().equals(Set.of(2)));
        add(p1, 0, Events.chunk("req_p1_stream", 0, 1));
        add(p1, 1, Events.complete("req_p1_stream", 1, 1, null));

        assertEquals(new Reply.Chunk(0, Events.marker(0, 1)), Events.asTree(streaming.next(WAIT)));
        assertEquals(new Reply.Complete(1, null), streaming.next(WAIT));
        assertTrue(consumer.assignment().contains(p1), "still read while its stream runs");

        pending.unregister("req_p1_stream");
        await().atMost(WAIT).until(() -> consumer.assignment().equals(Set.of(p2)));
    }
}
