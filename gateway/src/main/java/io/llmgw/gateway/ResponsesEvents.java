package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RawJsonNode;

import java.io.IOException;

/**
 * Responses API streams: each event the host sent as {@code event: <type>} and {@code data: <json>}, with the
 * response id the gateway minted ({@link ResponseIds}) in every {@code response} object and the event's seq as its
 * {@code sequence_number} (the worker numbers the host's events from 0 in order, so a resumed stream and the original
 * agree, and {@code starting_after} counts the same way). No {@code [DONE]}: the stream ends after the host's
 * {@code response.completed}, {@code response.incomplete} or {@code response.failed}.
 *
 * <p>A failure before that end (a host error, the deadline, a worker lost mid-stream) becomes an {@code error} event:
 * OpenAI's fields ({@code code}, {@code message}, {@code param}, {@code sequence_number}) plus the {@code error} object
 * itself, because that key is what makes the SDKs raise (openai-java for any event whose data has {@code error};
 * openai-python for an {@code error} event with it). A {@code response.failed} would be read as a normal last event.
 * One writer per stream, on its handler's thread.
 */
final class ResponsesEvents implements ReplyWriter {

    static final ReplyWriter.Format FORMAT = new ReplyWriter.Format() {
        @Override
        public JsonNode completion(final String requestId, final JsonNode data) {
            return ResponseIds.rewritten(data, requestId);
        }

        @Override
        public ReplyWriter open(final SseStream stream, final String requestId) {
            return new ResponsesEvents(stream, requestId);
        }
    };

    private final SseStream stream;
    private final String requestId;
    private long lastSeq = Reply.NO_SEQ;

    ResponsesEvents(final SseStream stream, final String requestId) {
        this.stream = stream;
        this.requestId = requestId;
    }

    @Override
    public void chunk(final long seq, final JsonNode data) throws IOException {
        final ObjectNode event = event(data, seq, requestId);
        lastSeq = Math.max(lastSeq, seq);
        stream.event(event.path("type").asText("message"), seq, event);
    }

    /** The event as the client gets it: our id in its {@code response}, {@code sequence_number} = {@code seq}. */
    static ObjectNode event(final JsonNode data, final long seq, final String requestId) {
        // a relayed chunk is its text (RelayedChunk): this writer changes the event, so it needs the tree
        final JsonNode tree = data instanceof RawJsonNode raw ? raw.tree() : data;
        final ObjectNode event = tree instanceof ObjectNode object ? object.deepCopy() : Json.object();
        final JsonNode response = event.get("response");
        if (response != null && response.isObject()) {
            event.set("response", ResponseIds.rewritten(response, requestId));
        }
        event.put("sequence_number", seq);
        return event;
    }

    @Override
    public void end(final long seq) {
        // the host's last event was the end; Responses streams carry no [DONE]
    }

    @Override
    public void fail(final long seq, final JsonNode body) throws IOException {
        final long number = seq >= 0 ? seq : lastSeq + 1;
        stream.event("error", seq, errorEvent(body, number));
    }

    /** The {@code error} event for an OpenAI error object {@code {"error": {...}}}. */
    static ObjectNode errorEvent(final JsonNode body, final long sequenceNumber) {
        final JsonNode error = body.path("error").isObject() ? body.get("error") : body;
        final ObjectNode event = Json.object().put("type", "error");
        event.set("code", error.path("code").isMissingNode() ? Json.MAPPER.nullNode() : error.get("code"));
        event.put("message", error.path("message").asText("the response failed"));
        event.set("param", error.path("param").isMissingNode() ? Json.MAPPER.nullNode() : error.get("param"));
        event.put("sequence_number", sequenceNumber);
        event.set("error", error);
        return event;
    }

    @Override
    public void keepAlive() throws IOException {
        stream.keepAlive();
    }
}
