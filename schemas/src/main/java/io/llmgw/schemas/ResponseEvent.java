package io.llmgw.schemas;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One reply event for a request. Key: {@link #id()}. Events of one request carry seq 0, 1, 2, ... and end with exactly
 * one terminal event (complete or error).
 *
 * @param id             request id
 * @param seq            position in the request's event sequence, strictly increasing
 * @param type           chunk, complete or error
 * @param status         HTTP status to answer with, for errors; null otherwise
 * @param data           the upstream chunk or completion object as received, or an OpenAI error object
 * @param usage          the {@code usage} object when the upstream reported one, else null
 * @param replyPartition the events partition the asking gateway reads (the sink partitions by it)
 * @param attempt        the request attempt that produced it. Seqs restart at 0 when a worker re-runs a request
 *                       after a failover, so the gateway delivers a stream's chunks from one attempt only: a
 *                       stream never mixes two generations of tokens
 */
public record ResponseEvent(
        String id,
        long seq,
        EventType type,
        Integer status,
        JsonNode data,
        JsonNode usage,
        int replyPartition,
        int attempt) {

    public static ResponseEvent chunk(final RequestEnvelope request, final long seq, final JsonNode chunk) {
        return new ResponseEvent(request.id(), seq, EventType.CHUNK, null, chunk, usageOf(chunk),
                request.replyPartition(), request.attempt());
    }

    /** A stream's end ({@code data} null) or a non-streaming request's completion object. */
    public static ResponseEvent complete(final RequestEnvelope request, final long seq, final JsonNode completion) {
        return new ResponseEvent(request.id(), seq, EventType.COMPLETE, null, completion, usageOf(completion),
                request.replyPartition(), request.attempt());
    }

    public static ResponseEvent error(final RequestEnvelope request, final long seq, final ApiError error) {
        return new ResponseEvent(request.id(), seq, EventType.ERROR, error.status(), error.toJson(), null,
                request.replyPartition(), request.attempt());
    }

    public boolean isTerminal() {
        return type.isTerminal();
    }

    private static JsonNode usageOf(final JsonNode node) {
        if (node == null) {
            return null;
        }
        final JsonNode usage = node.get("usage");
        return usage == null || usage.isNull() ? null : usage;
    }
}
