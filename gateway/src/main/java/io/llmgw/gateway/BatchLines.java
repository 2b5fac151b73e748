package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names and shapes of a batch's lines. A line's request id is a function of the batch id and the line's index, and
 * lands on the batch's events partition, so a driver that publishes a line again after a crash publishes the same
 * request (a worker still holding it ignores the copy), and the driver that takes a batch over finds every line's
 * events on one partition. Output and error lines are OpenAI's:
 * {@code {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}}. Pure.
 */
final class BatchLines {

    private BatchLines() {
    }

    /** {@code batch_<24 hex>}. */
    static String newBatchId() {
        return "batch_" + FileStore.newId().substring("file-".length());
    }

    /** The events partition every line of {@code batchId} uses. */
    static int partitionOf(final String batchId, final int eventPartitions) {
        return RequestIdMint.partitionOf(batchId, eventPartitions);
    }

    /** {@code req_<24 hex>} from (batch, index), the first of a deterministic series that hashes to the partition. */
    static String requestId(final String batchId, final int index, final int eventPartitions) {
        final int partition = partitionOf(batchId, eventPartitions);
        for (int attempt = 0; ; attempt++) {
            final String id = "req_" + hex(batchId + "#" + index + "#" + attempt, 12);
            if (RequestIdMint.partitionOf(id, eventPartitions) == partition) {
                return id;
            }
        }
    }

    /** The id of the output file (or error file) of a batch: the same after any number of retries. */
    static String fileId(final String batchId, final String which) {
        return "file-" + hex(batchId + "#" + which, 12);
    }

    static ObjectNode answered(final String requestId, final String customId, final int status, final JsonNode body) {
        final ObjectNode line = lineStart(requestId, customId);
        final ObjectNode response = line.putObject("response");
        response.put("status_code", status);
        response.put("request_id", requestId);
        response.set("body", body == null ? Json.object() : body);
        line.putNull("error");
        return line;
    }

    /** A line that never got a response: cancelled or expired before it ran. */
    static ObjectNode notRun(final String requestId, final String customId, final String code, final String message) {
        final ObjectNode line = lineStart(requestId, customId);
        line.putNull("response");
        final ObjectNode error = line.putObject("error");
        error.put("code", code);
        error.put("message", message);
        return line;
    }

    static ObjectNode refused(final String requestId, final String customId, final ApiError error) {
        return answered(requestId, customId, error.status(), error.toJson());
    }

    private static ObjectNode lineStart(final String requestId, final String customId) {
        final ObjectNode line = Json.object();
        line.put("id", "batch_req_" + requestId.substring("req_".length()));
        line.put("custom_id", customId);
        return line;
    }

    private static String hex(final String text, final int bytes) {
        try {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, bytes);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
