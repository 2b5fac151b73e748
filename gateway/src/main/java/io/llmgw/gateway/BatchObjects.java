package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.batches.BatchCancel;
import io.llmgw.batches.BatchError;
import io.llmgw.batches.BatchRecord;
import io.llmgw.batches.BatchStatus;
import io.llmgw.schemas.Json;

import java.util.Optional;

/**
 * OpenAI's batch object. A batch whose cancel was asked for but not yet picked up by its driver reads as
 * {@code cancelling} already, so a client sees its cancel at once on any instance.
 */
final class BatchObjects {

    private BatchObjects() {
    }

    static ObjectNode batch(final BatchRecord record, final Optional<BatchCancel> cancel) {
        final boolean cancelAsked = cancel.isPresent()
                && (record.status() == BatchStatus.VALIDATING || record.status() == BatchStatus.IN_PROGRESS);
        final ObjectNode node = Json.object();
        node.put("id", record.id());
        node.put("object", "batch");
        node.put("endpoint", record.endpoint());
        if (record.errors().isEmpty()) {
            node.putNull("errors");
        } else {
            final ObjectNode errors = node.putObject("errors");
            errors.put("object", "list");
            final ArrayNode data = errors.putArray("data");
            for (final BatchError error : record.errors()) {
                final ObjectNode item = data.addObject();
                item.put("code", error.code());
                item.put("message", error.message());
                item.put("param", error.param());
                if (error.line() == null) {
                    item.putNull("line");
                } else {
                    item.put("line", error.line());
                }
            }
        }
        node.put("input_file_id", record.inputFileId());
        node.put("completion_window", record.completionWindow());
        node.put("status", cancelAsked ? BatchStatus.CANCELLING.wireName() : record.status().wireName());
        node.put("output_file_id", record.outputFileId());
        node.put("error_file_id", record.errorFileId());
        node.put("created_at", record.createdAt());
        node.put("in_progress_at", record.inProgressAt());
        node.put("expires_at", record.expiresAt());
        node.put("finalizing_at", record.finalizingAt());
        node.put("completed_at", record.completedAt());
        node.put("failed_at", record.failedAt());
        node.put("expired_at", record.expiredAt());
        node.put("cancelling_at", cancelAsked ? Long.valueOf(cancel.get().atMs() / 1000) : record.cancellingAt());
        node.put("cancelled_at", record.cancelledAt());
        final ObjectNode counts = node.putObject("request_counts");
        counts.put("total", record.total());
        counts.put("completed", record.completed());
        counts.put("failed", record.failed());
        final ObjectNode usage = node.putObject("usage");
        usage.put("input_tokens", record.usage().inputTokens());
        usage.putObject("input_tokens_details").put("cached_tokens", record.usage().cachedTokens());
        usage.put("output_tokens", record.usage().outputTokens());
        usage.putObject("output_tokens_details").put("reasoning_tokens", record.usage().reasoningTokens());
        usage.put("total_tokens", record.usage().totalTokens());
        if (record.metadata() == null) {
            node.putNull("metadata");
        } else {
            node.set("metadata", record.metadata());
        }
        return node;
    }
}
