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

    @Test
    void shouldKeepItsUsageThroughTheSerdeAndReadNoneFromARecordWithout() {
        final JsonSerde<BatchRecord> serde = new JsonSerde<>(BatchRecord.class);
        final BatchRecord record = accepted.inProgress(5, 2, 40, 101).counted(2, 0, new BatchUsage(30, 4, 12, 1));
        final BatchRecord read = (BatchRecord) assertInstanceOf(Decoded.Ok.class,
                serde.decode(serde.encode(record))).value();
        assertEquals(new BatchUsage(30, 4, 12, 1), read.usage());
        assertEquals(42, read.usage().totalTokens());
        assertEquals(new BatchUsage(30, 4, 12, 1), read.counted(3, 0).usage(), "later counts keep the usage");

        final String older = new String(serde.encode(accepted), java.nio.charset.StandardCharsets.UTF_8)
                .replaceAll(",\"usage\":\\{[^}]*}", "");
        assertEquals(BatchUsage.NONE, ((BatchRecord) assertInstanceOf(Decoded.Ok.class,
                serde.decode(older.getBytes(java.nio.charset.StandardCharsets.UTF_8))).value()).usage());
    }

    @Test
    void shouldSumChatAndResponsesUsageWhenAddingAnswers() throws Exception {
        final com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        final BatchUsage sum = BatchUsage.NONE
                .plus(mapper.readTree("{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15,"
                        + "\"prompt_tokens_details\":{\"cached_tokens\":2},"
                        + "\"completion_tokens_details\":{\"reasoning_tokens\":1}}"))
                .plus(mapper.readTree("{\"input_tokens\":7,\"output_tokens\":3,"
                        + "\"output_tokens_details\":{\"reasoning_tokens\":2}}"))
                .plus(null)
                .plus(mapper.readTree("{\"prompt_tokens\":\"x\",\"completion_tokens\":-4}"));
        assertEquals(new BatchUsage(17, 2, 8, 3), sum);
        assertEquals(25, sum.totalTokens());
    }
}
