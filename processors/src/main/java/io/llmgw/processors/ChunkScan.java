package io.llmgw.processors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;

import java.io.IOException;

/**
 * What the worker needs to know of a chat or completions stream chunk, read with Jackson's streaming parser instead
 * of a tree: that it is one well-formed JSON object and nothing after it (so that its text may be relayed as it came,
 * see {@code RawJsonNode}), whether it is an error object (vLLM reports a failure mid-stream that way), whether its
 * choices carry a finish reason, and its {@code usage}. Every token is still read, which is what proves the text
 * well-formed; what is saved is the tree: a node per value, a map per object, and writing it all out again.
 *
 * @param object   one JSON object, nothing after it
 * @param error    a top-level {@code error} object
 * @param finished null when the chunk has no choices (a usage-only chunk), else whether any choice has a non-null
 *                 {@code finish_reason}
 * @param usage    the top-level {@code usage}, null when absent or null
 */
record ChunkScan(boolean object, boolean error, Boolean finished, JsonNode usage) {

    private static final ChunkScan NOT_AN_OBJECT = new ChunkScan(false, false, null, null);

    static ChunkScan of(final byte[] chunk) {
        try (JsonParser parser = Json.MAPPER.createParser(chunk)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return NOT_AN_OBJECT;
            }
            boolean error = false;
            Boolean finished = null;
            JsonNode usage = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final String name = parser.currentName();
                final JsonToken value = parser.nextToken();
                switch (name) {
                    case "error" -> error = value == JsonToken.START_OBJECT;
                    case "usage" -> usage = value == JsonToken.VALUE_NULL ? null : parser.readValueAsTree();
                    case "choices" -> finished = value == JsonToken.START_ARRAY ? finishedChoices(parser) : null;
                    default -> {
                        // read past it: the tokens are still checked
                    }
                }
                parser.skipChildren(); // a no-op after a scalar, or where readValueAsTree or the choices ended
            }
            // the object closed; anything after it would be copied into the event with it
            return parser.nextToken() == null ? new ChunkScan(true, error, finished, usage) : NOT_AN_OBJECT;
        } catch (final IOException e) {
            return NOT_AN_OBJECT;
        }
    }

    /** From a choices array's start to its end: null when empty, else whether any choice has a finish reason. */
    private static Boolean finishedChoices(final JsonParser parser) throws IOException {
        boolean any = false;
        boolean some = false;
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            some = true;
            if (parser.currentToken() != JsonToken.START_OBJECT) {
                parser.skipChildren();
                continue;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final boolean reason = parser.currentName().equals("finish_reason");
                if (parser.nextToken() != JsonToken.VALUE_NULL && reason) {
                    any = true;
                }
                parser.skipChildren();
            }
        }
        return some ? any : null;
    }
}
