package io.llmgw.processors;

import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CancelListenerTest {

    private static final long NOW_MS = 1_700_000_000_000L;
    private static final Duration LOOKBACK = Duration.ofMinutes(10);

    private final Topic<String, CancelCommand> control = new Topics("test").control();
    private final TopicPartition partition = new TopicPartition(control.name(), 0);
    private final CancelRegistry registry = new CancelRegistry();
    private final Map<TopicPartition, Long> asked = new HashMap<>();
    private OffsetAndTimestamp firstInLookback;

    /** MockConsumer does not implement offsetsForTimes: this one answers with {@link #firstInLookback}. */
    private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("latest") {
        @Override
        public synchronized Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(
                final Map<TopicPartition, Long> timestamps, final Duration timeout) {
            asked.putAll(timestamps);
            final Map<TopicPartition, OffsetAndTimestamp> found = new HashMap<>();
            found.put(partition, firstInLookback);
            return found;
        }
    };

    private CancelListener listenerOverOffsets(final long end) {
        final Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(control.name(), List.of(new PartitionInfo(control.name(), 0, node,
                new Node[]{node}, new Node[]{node})));
        consumer.updateBeginningOffsets(Map.of(partition, 0L));
        consumer.updateEndOffsets(Map.of(partition, end));
        return new CancelListener(consumer, control, registry, "cancels-test");
    }

    private void cancelAt(final long offset, final String id) {
        consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>(control.name(), 0, offset, id,
                control.valueSerde().encode(new CancelCommand(id, CancelReason.CLIENT_DISCONNECTED, NOW_MS)))));
    }

    @Test
    void shouldApplyTheCancelsOfTheLookbackBeforeReturningWhenStarted() {
        final CancelListener listener = listenerOverOffsets(5);
        firstInLookback = new OffsetAndTimestamp(3, NOW_MS - 60_000);
        cancelAt(3, "req_recent");
        cancelAt(4, "req_latest");

        listener.catchUp(LOOKBACK, NOW_MS, Duration.ofSeconds(5));

        assertEquals(NOW_MS - LOOKBACK.toMillis(), asked.get(partition), "looked up by timestamp");
        assertEquals(Optional.of(CancelReason.CLIENT_DISCONNECTED), registry.reasonFor("req_recent"));
        assertEquals(Optional.of(CancelReason.CLIENT_DISCONNECTED), registry.reasonFor("req_latest"));
        assertEquals(5, consumer.position(partition), "caught up to the end as it stood at start");
    }

    @Test
    void shouldStartAtTheEndWhenNoCancelIsRecentEnough() {
        final CancelListener listener = listenerOverOffsets(9);
        firstInLookback = null;

        listener.catchUp(LOOKBACK, NOW_MS, Duration.ofSeconds(5));

        assertEquals(9, consumer.position(partition));
        assertEquals(Optional.empty(), registry.reasonFor("req_recent"));
    }

    @Test
    void shouldSkipPoisonControlRecordsAndKeepApplyingCancelsWhenTheyArrive() {
        firstInLookback = new OffsetAndTimestamp(0, NOW_MS);
        final CancelListener listener = listenerOverOffsets(0);
        listener.catchUp(LOOKBACK, NOW_MS, Duration.ofSeconds(5));
        final java.nio.charset.Charset utf8 = java.nio.charset.StandardCharsets.UTF_8;
        consumer.schedulePollTask(() -> {
            consumer.addRecord(new ConsumerRecord<>(control.name(), 0, 0, null, null));
            consumer.addRecord(new ConsumerRecord<>(control.name(), 0, 1, null, "{}".getBytes(utf8)));
            consumer.addRecord(new ConsumerRecord<>(control.name(), 0, 2, "req_x", "nope".getBytes(utf8)));
            consumer.addRecord(new ConsumerRecord<>(control.name(), 0, 3, "req_x",
                    "{\"id\":{\"a\":1}}".getBytes(utf8)));
            consumer.addRecord(new ConsumerRecord<>(control.name(), 0, 4, "req_ok",
                    control.valueSerde().encode(new CancelCommand("req_ok", io.llmgw.schemas.CancelReason.CLIENT_DISCONNECTED, NOW_MS))));
        });
        final io.llmgw.runtime.ProcessFailure failure = io.llmgw.runtime.ProcessFailure.create();
        registry.subscribe(command -> {
            if ("req_bug".equals(command.id())) {
                throw new IllegalStateException("a subscriber's bug");
            }
        });
        consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>(control.name(), 0, 5, "req_bug",
                control.valueSerde().encode(new CancelCommand("req_bug", io.llmgw.schemas.CancelReason.CLIENT_DISCONNECTED, NOW_MS)))));
        cancelAt(6, "req_after");
        listener.startThread();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> registry.reasonFor("req_after").isPresent());
            assertEquals(Optional.of(io.llmgw.schemas.CancelReason.CLIENT_DISCONNECTED), registry.reasonFor("req_ok"));
            assertEquals(5, listener.unreadable());
            org.junit.jupiter.api.Assertions.assertTrue(listener.isAlive());
            org.junit.jupiter.api.Assertions.assertFalse(failure.hasFailed());
        } finally {
            listener.close();
        }
    }

    @Test
    void shouldReportAFatalFailureWhenTheLoopDies() {
        firstInLookback = null;
        final Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(control.name(), List.of(new PartitionInfo(control.name(), 0, node,
                new Node[]{node}, new Node[]{node})));
        consumer.updateBeginningOffsets(Map.of(partition, 0L));
        consumer.updateEndOffsets(Map.of(partition, 0L));
        final io.llmgw.runtime.ProcessFailure failure = io.llmgw.runtime.ProcessFailure.create();
        final CancelListener listener = new CancelListener(consumer, control, registry, "cancels-dying", failure);
        listener.catchUp(LOOKBACK, NOW_MS, Duration.ofSeconds(5));
        consumer.schedulePollTask(() -> {
            throw new IllegalStateException("the loop breaks");
        });
        listener.startThread();

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(failure::hasFailed);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !listener.isAlive());
        org.junit.jupiter.api.Assertions.assertTrue(failure.reason().orElseThrow().contains("cancels-dying"));
    }
}
