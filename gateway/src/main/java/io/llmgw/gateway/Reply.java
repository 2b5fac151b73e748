package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;

/**
 * What the HTTP handler of one request is told, in the order the client must see it. {@code seq} is the seq of the
 * response event behind it, sent to SSE clients as the event id ({@code id: <seq>}) so that they can resume at
 * {@code GET /v1/requests/{id}/events}; {@link #NO_SEQ} for an end the gateway made itself.
 */
public sealed interface Reply {

    /** The seq of a reply that no response event stands behind (a timeout, a failover, a shutdown). */
    long NO_SEQ = -1;

    long seq();

    boolean isTerminal();

    /** One stream chunk, as the LLM host sent it. */
    record Chunk(long seq, JsonNode data) implements Reply {
        @Override
        public boolean isTerminal() {
            return false;
        }
    }

    /** The end: for a stream {@code data} is usually null, otherwise it is the completion object. */
    record Complete(long seq, JsonNode data) implements Reply {
        @Override
        public boolean isTerminal() {
            return true;
        }
    }

    /** The end, with an error: {@code body} is an OpenAI error object {@code {"error": {...}}}. */
    record Failed(long seq, int status, JsonNode body) implements Reply {

        public static Failed of(final ApiError error) {
            return new Failed(NO_SEQ, error.status(), error.toJson());
        }

        @Override
        public boolean isTerminal() {
            return true;
        }
    }
}
