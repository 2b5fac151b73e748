package io.llmgw.gateway;

import io.llmgw.runtime.ProcessFailure;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplyConsumerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final Topic<String, ResponseEvent> events = new Topics("test").events();
    private final TopicPartition p3 = new TopicPartition(events.name(), 3);
    private final TopicPartition p4 = new TopicPartition(events.name(), 4);
    private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("latest");
    private final PendingReplies pending = new PendingReplies();
    private final ProcessFailure failure = ProcessFailure.create();
    private ReplyConsumer replies;

    @BeforeEach
    void start() {
        consumer.updateEndOffsets(Map.of(p3, 40L, p4, 7L));
        replies = ReplyConsumer.start(consumer, events, ReplyClaims.fixed(ReplyPartitions.parse("3-4")), pending, failure);
        await().atMost(WAIT).until(replies::isReady);
    }

    @AfterEach
    void stop() {
        replies.close();
    }

    private void add(final TopicPartition partition, final long offset, final String key, final byte[] value) {
        consumer.addRecord(new ConsumerRecord<>(partition.topic(), partition.partition(), offset, key, value));
    }

    @Test
    void shouldReadOnlyItsOwnPartitionsFromTheirEndWhenStarted() {
        assertEquals(Set.of(p3, p4), consumer.assignment());
        assertEquals(40L, consumer.position(p3));
        assertEquals(7L, consumer.position(p4));
    }

    @Test
    void shouldHandEventsToTheWaitingRequestWhenTheyArrive() throws Exception {
        final PendingReply reply = pending.register("req_a");

        add(p4, 7, "req_a", events.valueSerde().encode(Events.chunk("req_a", 0, 1)));
        add(p4, 8, "req_a", events.valueSerde().encode(Events.complete("req_a", 1, 1, null)));

        assertEquals(new Reply.Chunk(0, Events.marker(0, 1)), Events.asTree(reply.next(WAIT)));
        assertEquals(new Reply.Complete(1, null), reply.next(WAIT));
    }

    @Test
    void shouldSkipUnreadableRecordsAndEventsNobodyWaitsForAndKeepGoing() throws Exception {
        final PendingReply reply = pending.register("req_b");

        add(p3, 40, "req_x", "{not json".getBytes(StandardCharsets.UTF_8));
        add(p3, 41, "req_x", null);
        add(p3, 42, "req_other", events.valueSerde().encode(Events.chunk("req_other", 0, 1)));
        add(p3, 43, "req_b", events.valueSerde().encode(Events.complete("req_b", 0, 1, Events.completion("ok"))));

        assertEquals(new Reply.Complete(0, Events.completion("ok")), reply.next(WAIT));
        assertTrue(replies.isReady());
    }

    @Test
    void shouldCloseTheConsumerAndStopBeingReadyWhenClosed() {
        replies.close();

        assertTrue(consumer.closed());
        assertFalse(replies.isReady());
    }

    @Test
    void shouldSkipPoisonRecordsOfEveryKindAndKeepDeliveringWhenTheyArrive() throws Exception {
        final PendingReply reply = pending.register("req_c");
        final byte[] good = events.valueSerde().encode(Events.complete("req_c", 0, 1, Events.completion("ok")));

        add(p3, 40, null, good);                                                    // null key (the NPE of issue 10)
        add(p3, 41, null, null);                                                    // null key and value
        add(p3, 42, "req_c", null);                                                 // null value
        add(p3, 43, "req_c", "[1,2".getBytes(StandardCharsets.UTF_8));              // not JSON
        add(p3, 44, "req_c", "{\"id\":\"req_c\",\"seq\":\"x\"}".getBytes(StandardCharsets.UTF_8)); // wrong type
        add(p3, 45, "req_c", "{\"id\":\"req_c\",\"seq\":0}".getBytes(StandardCharsets.UTF_8));  // no type
        add(p3, 46, "req_c", events.valueSerde().encode(Events.chunk("req_other", 0, 1)));  // id is not the key
        add(p3, 47, "req_c", new byte[2_000_000]);                                  // huge and binary
        add(p3, 48, "req_c", good);

        assertEquals(new Reply.Complete(0, Events.completion("ok")), reply.next(WAIT));
        assertTrue(replies.isReady());
        assertFalse(failure.hasFailed());
        await().atMost(WAIT).until(() -> replies.delivered() == 1);
        assertEquals(8, replies.unreadable());
    }

    @Test
    void shouldNotDecodeRecordsNobodyWaitsForWhenTheyArrive() throws Exception {
        final PendingReply reply = pending.register("req_d");

        add(p4, 7, "req_nobody", "{not even json".getBytes(StandardCharsets.UTF_8));
        add(p4, 8, "req_d", events.valueSerde().encode(Events.complete("req_d", 0, 1, Events.completion("ok"))));

        assertEquals(new Reply.Complete(0, Events.completion("ok")), reply.next(WAIT));
        await().atMost(WAIT).until(() -> replies.delivered() == 1);
        assertEquals(1, replies.ignored());
        assertEquals(0, replies.unreadable());
    }

    @Test
    void shouldReportAFatalFailureAndStopBeingReadyWhenTheLoopDies() {
        consumer.schedulePollTask(() -> {
            throw new IllegalStateException("a bug in the loop");
        });

        await().atMost(WAIT).until(failure::hasFailed);
        assertTrue(failure.reason().orElseThrow().contains("reply consumer"));
        await().atMost(WAIT).until(() -> !replies.isReady());
    }
}
