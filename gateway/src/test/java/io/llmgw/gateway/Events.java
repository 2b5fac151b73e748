package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.ResponseEvent;

/** Response events for tests, with recognisable data: a chunk's data is {@code {"n": <seq>, "attempt": <a>}}. */
final class Events {

    private Events() {
    }

    static ResponseEvent chunk(final String id, final long seq, final int attempt) {
        return new ResponseEvent(id, seq, EventType.CHUNK, null, marker(seq, attempt), null, 0, attempt);
    }

    static ResponseEvent complete(final String id, final long seq, final int attempt, final JsonNode data) {
        return new ResponseEvent(id, seq, EventType.COMPLETE, null, data, null, 0, attempt);
    }

    static ResponseEvent error(final String id, final long seq, final int attempt, final ApiError error) {
        return new ResponseEvent(id, seq, EventType.ERROR, error.status(), error.toJson(), null, 0, attempt);
    }

    /** A reply as a tree: the reply consumer hands a running stream's chunk over as its text ({@link RelayedChunk}). */
    static Reply asTree(final Reply reply) {
        return reply instanceof Reply.Chunk chunk && chunk.data() instanceof io.llmgw.schemas.RawJsonNode raw
                ? new Reply.Chunk(chunk.seq(), raw.tree()) : reply;
    }

    static ObjectNode marker(final long seq, final int attempt) {
        final ObjectNode data = Json.object();
        data.put("n", Math.toIntExact(seq)); // an int, as a decoded event holds it
        data.put("attempt", attempt);
        return data;
    }

    static ObjectNode completion(final String text) {
        final ObjectNode completion = Json.object();
        completion.put("id", "chatcmpl-1");
        completion.put("object", "chat.completion");
        completion.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", text);
        return completion;
    }

    static ObjectNode chatChunk(final String text) {
        final ObjectNode chunk = Json.object();
        chunk.put("id", "chatcmpl-1");
        chunk.put("object", "chat.completion.chunk");
        chunk.putArray("choices").addObject().putObject("delta").put("content", text);
        return chunk;
    }
}
