package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.batches.BatchRecord;
import io.llmgw.batches.BatchStatus;
import io.llmgw.schemas.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchProgressTest {

    private static final String BATCH = "batch_0123456789abcdef01234567";
    /** Created at 1,000 s, expires at 1,010 s. */
    private static final BatchRecord RECORD = BatchRecord.accepted(BATCH, "/v1/chat/completions", "file-1", "24h",
            null, null, 1_000, 1_010).inProgress(4, 0, 0, 1_000);

    @Test
    void shouldKeepWhatFinishedAndWriteTheRestAsExpiredWhenTheWindowPasses() throws IOException {
        final BatchProgress progress = new BatchProgress(BATCH, lines(4), 3);
        for (int i = 0; i < 3; i++) {
            progress.published(i);
        }
        assertTrue(progress.resolve(0, answer(progress, 0), true));
        assertTrue(progress.resolve(1, BatchLines.answered(progress.requestId(1), "c1", 500, Json.object()), false));
        // line 2 ends with its deadline's error: cut short by the expiry; line 3 was never published
        assertEquals(BatchStatus.EXPIRED, BatchEnding.cutShortAs(null, RECORD, 1_010_000));
        assertTrue(progress.cutShort(2, BatchStatus.EXPIRED));
        assertFalse(progress.resolve(2, answer(progress, 2), true), "the first end counts");
        assertEquals(0, progress.inFlight());

        final BatchProgress.Files files = progress.files(BatchStatus.EXPIRED);

        assertEquals(1, files.notRun());
        assertEquals(new io.llmgw.batches.BatchUsage(9, 0, 4, 0), progress.usage(), "line 0's answer");
        assertEquals(1, progress.completed());
        assertEquals(3, progress.failed());
        final List<JsonNode> output = parse(files.output());
        assertEquals(List.of("c0"), output.stream().map(line -> line.path("custom_id").asText()).toList());
        final List<JsonNode> errors = parse(files.errors());
        assertEquals(List.of("c1", "c2", "c3"), errors.stream().map(line -> line.path("custom_id").asText()).toList());
        assertEquals(500, errors.get(0).path("response").path("status_code").asInt(), "a line that failed on its own");
        for (final JsonNode notRun : errors.subList(1, 3)) {
            assertTrue(notRun.path("response").isNull(), notRun.toString());
            assertEquals("batch_expired", notRun.path("error").path("code").asText(), notRun.toString());
        }
    }

    @Test
    void shouldTellAnErrorCutShortByTheEndFromOneOfTheLineItselfWhenReadingAnEvent() {
        assertNull(BatchEnding.cutShortAs(null, RECORD, 1_008_999), "well inside the window: a failure");
        assertEquals(BatchStatus.EXPIRED, BatchEnding.cutShortAs(null, RECORD, 1_009_000),
                "a worker's clock a second ahead");
        assertEquals(BatchStatus.CANCELLED, BatchEnding.cutShortAs(BatchStatus.CANCELLED, RECORD, 1_001_000));
        assertEquals(BatchStatus.CANCELLED, BatchEnding.cutShortAs(null, RECORD.cancelling(1_002), 1_002_000),
                "a run that took a cancelling batch over");
        assertNull(BatchEnding.cutShortAs(null, RECORD.cancelling(1_002), 1_001_999));
        assertFalse(BatchEnding.isPastExpiry(RECORD, 1_009_999));
        assertTrue(BatchEnding.isPastExpiry(RECORD, 1_010_000));
    }

    @Test
    void shouldNotCountALineTwiceWhenItsQueuedMarkerFollowsItsPublish() {
        final BatchProgress progress = new BatchProgress(BATCH, lines(2), 3);
        progress.published(0);
        progress.published(0); // the queued marker of the same publish
        assertEquals(1, progress.inFlight());
        assertTrue(progress.isOpen(0));
        assertTrue(progress.needsPublishing(1));
        progress.resolve(0, answer(progress, 0), true);
        progress.published(0); // a late marker of a re-run
        assertEquals(0, progress.inFlight());
        assertFalse(progress.needsPublishing(0));
    }

    private static ObjectNode answer(final BatchProgress progress, final int index) {
        final ObjectNode body = Json.object().put("object", "chat.completion");
        body.putObject("usage").put("prompt_tokens", 9).put("completion_tokens", 4).put("total_tokens", 13);
        return BatchLines.answered(progress.requestId(index), "c" + index, 200, body);
    }

    private static List<BatchInput.Line> lines(final int count) {
        final List<BatchInput.Line> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add(new BatchInput.Line(i, i + 1, "c" + i, Json.object().put("model", "m"), null));
        }
        return lines;
    }

    private static List<JsonNode> parse(final byte[] jsonl) throws IOException {
        final List<JsonNode> lines = new ArrayList<>();
        for (final String line : new String(jsonl, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                lines.add(Json.MAPPER.readTree(line));
            }
        }
        return lines;
    }
}
