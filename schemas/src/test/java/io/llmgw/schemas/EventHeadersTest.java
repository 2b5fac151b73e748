package io.llmgw.schemas;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventHeadersTest {

    @Test
    void shouldNameEveryTypeAsTheWireDoes() throws Exception {
        for (final EventType type : EventType.values()) {
            final ResponseEvent event = new ResponseEvent("req_1", 0, type, null, null, null, 0, 0);
            final String wire = Json.MAPPER.readTree(Json.MAPPER.writeValueAsBytes(event)).get("type").asText();
            assertEquals(wire, new String(EventHeaders.of(event).lastHeader(EventHeaders.TYPE).value(),
                    StandardCharsets.UTF_8));
            assertEquals(type == EventType.CHUNK, EventHeaders.isChunk(EventHeaders.of(event)), type::toString);
        }
    }

    @Test
    void shouldNotTakeARecordWithoutTheHeaderOrWithAnotherValueForAChunk() {
        assertFalse(EventHeaders.isChunk(null));
        assertFalse(EventHeaders.isChunk(new RecordHeaders()));
        assertFalse(EventHeaders.isChunk(new RecordHeaders().add(EventHeaders.TYPE, "chunky".getBytes())));
        assertTrue(EventHeaders.isChunk(new RecordHeaders().add(EventHeaders.TYPE, "chunk".getBytes())));
    }
}
