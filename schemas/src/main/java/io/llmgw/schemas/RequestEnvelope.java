package io.llmgw.schemas;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Optional;

/**
 * One client request on its way to an LLM host. Key: {@link #id()}.
 *
 * @param id             request id, chosen by the gateway, also the record key and the {@code X-Request-Id}
 * @param endpoint       which OpenAI operation
 * @param model          the model the client asked for (routing key for the router)
 * @param stream         whether the client asked for SSE
 * @param body           the client's JSON body, untouched: every field reaches the LLM host
 * @param receivedAtMs   when the gateway accepted it (epoch ms)
 * @param deadlineMs     after this instant (epoch ms) nobody waits for the answer: never send it to a GPU
 * @param replyPartition partition of the events topic that the asking gateway reads
 * @param gatewayId      the asking gateway instance
 * @param keyId          a non-secret id of the caller's API key (never the key), or null
 * @param attempt        1 for the first delivery; re-runs after a worker failover count up
 * @param detached       true when nobody holds a connection for it (async submit): never cancelled by a disconnect
 * @param priority       scheduling class ({@code X-Priority}); records written before it existed read as normal
 * @param fairnessKey    a tenant below the key ({@code X-Fairness-Key}, such as an end user), or null: the worker
 *                       takes turns between keys first, then between the fairness keys of one key
 */
public record RequestEnvelope(
        String id,
        Endpoint endpoint,
        String model,
        boolean stream,
        ObjectNode body,
        long receivedAtMs,
        long deadlineMs,
        int replyPartition,
        String gatewayId,
        String keyId,
        int attempt,
        boolean detached,
        Priority priority,
        String fairnessKey) {

    public RequestEnvelope {
        priority = priority == null ? Priority.NORMAL : priority;
    }

    /** A normal-priority request without a fairness key (what the gateway publishes without scheduling headers). */
    public RequestEnvelope(final String id, final Endpoint endpoint, final String model, final boolean stream,
                           final ObjectNode body, final long receivedAtMs, final long deadlineMs,
                           final int replyPartition, final String gatewayId, final String keyId, final int attempt,
                           final boolean detached) {
        this(id, endpoint, model, stream, body, receivedAtMs, deadlineMs, replyPartition, gatewayId, keyId, attempt,
                detached, Priority.NORMAL, null);
    }

    /**
     * What this envelope lacks to be a request at all, if anything: without an id, endpoint, model or body there is
     * nobody to reply to (or nothing to send), so a stage that reads one dead-letters it rather than answering.
     */
    public Optional<String> missingPart() {
        if (id == null || id.isBlank()) {
            return Optional.of("envelope has no id");
        }
        if (endpoint == null) {
            return Optional.of("envelope has no endpoint");
        }
        if (model == null || model.isBlank()) {
            return Optional.of("envelope has no model");
        }
        if (body == null) {
            return Optional.of("envelope has no body");
        }
        return Optional.empty();
    }

    public boolean isExpiredAt(final long nowMs) {
        return nowMs >= deadlineMs;
    }

    public RequestEnvelope withAttempt(final int nextAttempt) {
        return new RequestEnvelope(id, endpoint, model, stream, body, receivedAtMs, deadlineMs, replyPartition,
                gatewayId, keyId, nextAttempt, detached, priority, fairnessKey);
    }

    public RequestEnvelope withScheduling(final Priority nextPriority, final String nextFairnessKey) {
        return new RequestEnvelope(id, endpoint, model, stream, body, receivedAtMs, deadlineMs, replyPartition,
                gatewayId, keyId, attempt, detached, nextPriority, nextFairnessKey);
    }
}
