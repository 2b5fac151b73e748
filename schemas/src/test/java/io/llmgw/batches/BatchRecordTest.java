package io.llmgw.batches;

import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchRecordTest {

    private final BatchRecord accepted = BatchRecord.accepted("batch_1", "/v1/chat/completions", "file-1", "24h",
            null, null, 100, 100 + 86_400);

    @Test
    void shouldSetEachTimestampOnceAndCountEveryWrite() {
        final BatchRecord running = accepted.inProgress(5, 2, 40, 101);
        final BatchRecord cancelled = running.counted(1, 0).cancelling(102).ended(BatchStatus.CANCELLED, null,
                "file-e", 103);
        assertEquals(BatchStatus.CANCELLED, cancelled.status());
        assertEquals(101L, cancelled.inProgressAt());
        assertEquals(102L, cancelled.cancellingAt());
        assertEquals(103L, cancelled.cancelledAt());
        assertNull(cancelled.completedAt());
        assertTrue(cancelled.status().isFinal());
        assertEquals(4, cancelled.revision());
        assertEquals(103L, running.finalizing(102).ended(BatchStatus.COMPLETED, "file-o", null, 103).completedAt());
    }

    @Test
    void shouldRoundTripThroughItsSerde() {
        final JsonSerde<BatchRecord> serde = new JsonSerde<>(BatchRecord.class);
        final BatchRecord record = accepted.inProgress(5, 2, 40, 101).failedWith(java.util.List.of(
                new BatchError("invalid_json_line", "bad", null, 3)), 102);
        assertEquals(record, assertInstanceOf(Decoded.Ok.class, serde.decode(serde.encode(record))).value());
    }
}
