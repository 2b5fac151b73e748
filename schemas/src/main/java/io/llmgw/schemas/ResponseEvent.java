package io.llmgw.schemas;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One reply event for a request. Key: {@link #id()}. Events of one request carry seq 0, 1, 2, ... and end with exactly
 * one terminal event (complete or error). Lifecycle markers ({@link EventType#isMarker()}) stand outside that sequence
 * with seq {@value #MARKER_SEQ}.
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
 * @param request        what the request is ({@link QueuedRequest}), on the first event of an attempt (seq 0) and
 *                       on the markers, else null: the request results learn what a request is from its own events,
 *                       so that a synchronous request needs no marker of its own on the events topic
 */
public record ResponseEvent(
        String id,
        long seq,
        EventType type,
        Integer status,
        JsonNode data,
        JsonNode usage,
        int replyPartition,
        int attempt,
        QueuedRequest request) {

    /** The seq of lifecycle markers: they are not part of the reply a client sees. */
    public static final long MARKER_SEQ = -1;

    /** An event without the request's description (every event but an attempt's first and the markers). */
    public ResponseEvent(final String id, final long seq, final EventType type, final Integer status,
                         final JsonNode data, final JsonNode usage, final int replyPartition, final int attempt) {
        this(id, seq, type, status, data, usage, replyPartition, attempt, null);
    }

    public static ResponseEvent chunk(final RequestEnvelope request, final long seq, final JsonNode chunk) {
        return new ResponseEvent(request.id(), seq, EventType.CHUNK, null, chunk, usageOf(chunk),
                request.replyPartition(), request.attempt(), describedIfFirst(request, seq));
    }

    /** A stream's end ({@code data} null) or a non-streaming request's completion object. */
    public static ResponseEvent complete(final RequestEnvelope request, final long seq, final JsonNode completion) {
        return new ResponseEvent(request.id(), seq, EventType.COMPLETE, null, completion, usageOf(completion),
                request.replyPartition(), request.attempt(), describedIfFirst(request, seq));
    }

    public static ResponseEvent error(final RequestEnvelope request, final long seq, final ApiError error) {
        return new ResponseEvent(request.id(), seq, EventType.ERROR, error.status(), error.toJson(), null,
                request.replyPartition(), request.attempt(), describedIfFirst(request, seq));
    }

    /**
     * The gateway's marker that it published {@code request} (an async or background one: a synchronous request is
     * described by its first event instead); {@code data} also describes the request, for readers of an older
     * version.
     */
    public static ResponseEvent queued(final RequestEnvelope request) {
        final QueuedRequest described = QueuedRequest.of(request);
        return new ResponseEvent(request.id(), MARKER_SEQ, EventType.QUEUED, null, Json.MAPPER.valueToTree(described),
                null, request.replyPartition(), request.attempt(), described);
    }

    /** A worker's marker that it is still calling the LLM host for this attempt of {@code request}. */
    public static ResponseEvent started(final RequestEnvelope request) {
        return new ResponseEvent(request.id(), MARKER_SEQ, EventType.STARTED, null, null, null,
                request.replyPartition(), request.attempt(), QueuedRequest.of(request));
    }

    /**
     * This event, its description (if it has one) saying when the worker started the call: the request results
     * take the queue wait from it, since a call that answers quickly has no started marker.
     */
    public ResponseEvent withStartedAt(final long atMs) {
        if (request == null) {
            return this;
        }
        return new ResponseEvent(id, seq, type, status, data, usage, replyPartition, attempt,
                request.startedAt(atMs));
    }

    public boolean isTerminal() {
        return type.isTerminal();
    }

    private static QueuedRequest describedIfFirst(final RequestEnvelope request, final long seq) {
        return seq == 0 ? QueuedRequest.of(request) : null;
    }

    private static JsonNode usageOf(final JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node instanceof RawJsonNode raw) {
            return raw.usage();
        }
        final JsonNode usage = node.get("usage");
        return usage == null || usage.isNull() ? null : usage;
    }
}
