package io.llmgw.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.llmgw.schemas.Json;

import java.io.IOException;

/**
 * Whether an events record is a well-formed chunk of request {@code id}, read with Jackson's streaming parser: it
 * walks the top-level fields and skips the chunk's data without building its tree. The request results take
 * thousands of chunks a second that change nothing once a request runs; a full decode of each (the event's tree, then
 * the stored state) cost more than the rest of their work. Anything else (another type, another id, a malformed or
 * truncated record) is false, and the caller decodes it in full, dead letter included.
 *
 * <p>Stateless; any thread.
 */
final class EventPeek {

    private EventPeek() {
    }

    static boolean isChunkOf(final String id, final byte[] value) {
        if (value == null) {
            return false;
        }
        try (JsonParser parser = Json.MAPPER.getFactory().createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            String eventId = null;
            String type = null;
            JsonToken token = parser.nextToken();
            for (; token == JsonToken.FIELD_NAME; token = parser.nextToken()) {
                final String field = parser.currentName();
                final JsonToken valueToken = parser.nextToken();
                if ("id".equals(field) && valueToken == JsonToken.VALUE_STRING) {
                    eventId = parser.getText();
                } else if ("type".equals(field) && valueToken == JsonToken.VALUE_STRING) {
                    type = parser.getText();
                } else {
                    parser.skipChildren();
                }
            }
            return token == JsonToken.END_OBJECT && parser.nextToken() == null && "chunk".equals(type)
                    && id.equals(eventId);
        } catch (final IOException e) {
            return false;
        }
    }
}
