package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchLinesTest {

    @Test
    void shouldDeriveTheSameRequestIdForALineEveryTimeAndPutEveryLineOnTheBatchsPartition() {
        final String batch = "batch_0123456789abcdef01234567";
        final int partition = BatchLines.partitionOf(batch, 6);
        final Set<String> ids = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            final String id = BatchLines.requestId(batch, i, 6);
            assertEquals(id, BatchLines.requestId(batch, i, 6));
            assertEquals(partition, RequestIdMint.partitionOf(id, 6));
            assertTrue(id.matches("req_[0-9a-f]{24}"), id);
            ids.add(id);
        }
        assertEquals(200, ids.size());
    }

    @Test
    void shouldWriteOpenAisLineShapes() {
        final ObjectNode body = Json.object().put("object", "chat.completion");
        final ObjectNode answered = BatchLines.answered("req_00aa", "c1", 200, body);
        assertEquals("batch_req_00aa", answered.path("id").asText());
        assertEquals("c1", answered.path("custom_id").asText());
        assertEquals(200, answered.path("response").path("status_code").asInt());
        assertEquals("req_00aa", answered.path("response").path("request_id").asText());
        assertEquals(body, answered.path("response").path("body"));
        assertTrue(answered.path("error").isNull());

        final ObjectNode refused = BatchLines.refused("req_00bb", "c2", ApiError.modelNotFound("x"));
        assertEquals(404, refused.path("response").path("status_code").asInt());
        assertEquals("model_not_found", refused.path("response").path("body").path("error").path("code").asText());

        final ObjectNode notRun = BatchLines.notRun("req_00cc", "c3", "batch_expired", "late");
        assertTrue(notRun.path("response").isNull());
        assertEquals("batch_expired", notRun.path("error").path("code").asText());
    }

    @Test
    void shouldNameABatchsFilesTheSameAfterAnyRetry() {
        assertEquals(BatchLines.fileId("batch_1", "output"), BatchLines.fileId("batch_1", "output"));
        assertTrue(!BatchLines.fileId("batch_1", "output").equals(BatchLines.fileId("batch_1", "error")));
    }
}
