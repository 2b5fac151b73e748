package io.llmgw.schemas;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Headers on {@code llm.events} records. {@link #TYPE} repeats the event's {@code type} so that a reader that only
 * needs to know what kind of event passes can tell without parsing the value; the value stays the truth, and a record
 * without the header (an older worker, the router's error events) is read as before.
 */
public final class EventHeaders {

    /** The event's type as on the wire ({@code chunk}, {@code complete}, ...). */
    public static final String TYPE = "llmgw.event.type";

    /** Each type's wire name (its {@code @JsonProperty}: the constant's name in lower case), encoded once. */
    private static final Map<EventType, byte[]> NAMES = new EnumMap<>(EventType.class);
    private static final byte[] CHUNK;

    static {
        for (final EventType type : EventType.values()) {
            NAMES.put(type, type.name().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        }
        CHUNK = NAMES.get(EventType.CHUNK);
    }

    private EventHeaders() {
    }

    /** Headers that name {@code event}'s type; none for an event without one. */
    public static Headers of(final ResponseEvent event) {
        final RecordHeaders headers = new RecordHeaders();
        if (event.type() != null) {
            headers.add(TYPE, NAMES.get(event.type()));
        }
        return headers;
    }

    /** Whether the record's headers say it is a chunk (the last {@link #TYPE} header wins). */
    public static boolean isChunk(final Headers headers) {
        if (headers == null) {
            return false;
        }
        final Header type = headers.lastHeader(TYPE);
        return type != null && Arrays.equals(CHUNK, type.value());
    }
}
