package io.llmgw.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RawJsonNode;
import io.llmgw.schemas.ResponseEvent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The reply consumer's read of a chunk event: the envelope's fields with Jackson's streaming parser, and the chunk
 * itself ({@code data}) as the slice of the record it is, without building its tree ({@link RawJsonNode}); the
 * stream writer copies that slice to the client. At 1,000 streams the full decode of every chunk and the
 * serialisation of its tree again were most of the reply consumer's and the request threads' Jackson time. Every
 * token is still read (skipping an object checks it), so a slice is always one well-formed JSON object.
 *
 * <p>Anything but a plain chunk (another type, an attempt's first event, which describes the request, a field of a
 * shape it does not expect, a malformed record) is null, and the caller decodes the record in full as before.
 * Stateless; any thread.
 */
final class RelayedChunk {

    private RelayedChunk() {
    }

    static ResponseEvent of(final byte[] value) {
        if (value == null) {
            return null;
        }
        try (JsonParser parser = Json.MAPPER.createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String id = null;
            String type = null;
            long seq = -1;
            int replyPartition = -1;
            int attempt = 0;
            JsonNode usage = null;
            String data = null;
            JsonToken token = parser.nextToken();
            for (; token == JsonToken.FIELD_NAME; token = parser.nextToken()) {
                final String field = parser.currentName();
                final JsonToken valueToken = parser.nextToken();
                if (valueToken == JsonToken.VALUE_NULL) {
                    continue;
                }
                switch (field) {
                    case "id" -> id = valueToken == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "type" -> {
                        type = valueToken == JsonToken.VALUE_STRING ? parser.getText() : null;
                        if (!"chunk".equals(type)) {
                            return null; // a terminal event or a marker: stop here, the full decode reads it once
                        }
                    }
                    case "seq" -> seq = valueToken == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : -1;
                    case "replyPartition" -> replyPartition = intOf(parser, valueToken);
                    case "attempt" -> attempt = intOf(parser, valueToken);
                    case "usage" -> usage = parser.readValueAsTree();
                    case "terminal" -> {
                        // written from ResponseEvent.isTerminal(); a chunk's is false, and the type says it
                    }
                    case "data" -> {
                        if (valueToken != JsonToken.START_OBJECT) {
                            return null;
                        }
                        final int start = (int) parser.currentTokenLocation().getByteOffset();
                        parser.skipChildren();
                        final int end = (int) parser.currentLocation().getByteOffset();
                        data = new String(value, start, end - start, StandardCharsets.UTF_8);
                    }
                    // the request's description (seq 0), a status or a field of a later version: decode in full
                    default -> {
                        return null;
                    }
                }
            }
            if (token != JsonToken.END_OBJECT || parser.nextToken() != null || id == null || seq < 0
                    || replyPartition < 0 || attempt < 0 || data == null || !"chunk".equals(type)) {
                return null;
            }
            return new ResponseEvent(id, seq, EventType.CHUNK, null, new RawJsonNode(data, usage), usage,
                    replyPartition, attempt);
        } catch (final IOException | RuntimeException e) {
            return null;
        }
    }

    private static int intOf(final JsonParser parser, final JsonToken token) throws IOException {
        return token == JsonToken.VALUE_NUMBER_INT ? parser.getIntValue() : Integer.MIN_VALUE;
    }
}
