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
}
