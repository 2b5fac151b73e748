package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;

/** What the HTTP handler of one request is told, in the order the client must see it. */
public sealed interface Reply {

    boolean isTerminal();

    /** One stream chunk, as the LLM host sent it. */
    record Chunk(JsonNode data) implements Reply {
        @Override
        public boolean isTerminal() {
            return false;
        }
    }

    /** The end: for a stream {@code data} is usually null, otherwise it is the completion object. */
    record Complete(JsonNode data) implements Reply {
        @Override
        public boolean isTerminal() {
            return true;
        }
    }

    /** The end, with an error: {@code body} is an OpenAI error object {@code {"error": {...}}}. */
    record Failed(int status, JsonNode body) implements Reply {

        public static Failed of(final ApiError error) {
            return new Failed(error.status(), error.toJson());
        }

        @Override
        public boolean isTerminal() {
            return true;
        }
    }
}
