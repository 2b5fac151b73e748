package io.llmgw.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;

import java.io.IOException;

/**
 * The parts of a server-sent event's data of an OpenAI chat stream (okhttp-sse has parsed the event) that the benchmark needs: the content of a chunk,
 * the end marker, an error event. Thousands of chunks a second arrive, so the content is cut out of the line
 * directly; only a line whose content has JSON escapes is parsed as a tree.
 */
final class StreamLine {

    private static final String DONE = "[DONE]";
    private static final String CONTENT_FIELD = "\"content\":";

    private StreamLine() {
    }

    static boolean isDone(final String data) {
        return DONE.equals(data.strip());
    }

    /** An error event: a JSON object whose first field is {@code error}. */
    static boolean isError(final String data) {
        return data.startsWith("{\"error\"");
    }

    /** {@code choices[0].delta.content} of a chunk, or null when it has none (role-only, finish, usage chunks). */
    static String content(final String data) {
        final int field = data.indexOf(CONTENT_FIELD);
        if (field < 0) {
            return null;
        }
        final int open = field + CONTENT_FIELD.length();
        if (open >= data.length() || data.charAt(open) != '"') {
            return null; // "content":null
        }
        final int close = data.indexOf('"', open + 1);
        final String raw = close < 0 ? null : data.substring(open + 1, close);
        if (raw == null || raw.indexOf('\\') >= 0) {
            return parsed(data);
        }
        return raw;
    }

    private static String parsed(final String data) {
        try {
            final JsonNode content = Json.MAPPER.readTree(data).path("choices").path(0).path("delta").path("content");
            return content.isTextual() ? content.textValue() : null;
        } catch (final IOException e) {
            return null;
        }
    }
}
