package io.llmgw.schemas;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResponseEventTest {

    private static final RequestEnvelope REQUEST = new RequestEnvelope("req_1", Endpoint.CHAT_COMPLETIONS, "m", true,
            Json.object().put("model", "m"), 1_000, 61_000, 4, "gw-1", "key-7", 2, true);
    private static final JsonSerde<ResponseEvent> SERDE = new JsonSerde<>(ResponseEvent.class);

    @Test
    void shouldDescribeTheRequestWithoutItsBodyWhenQueued() {
        final ResponseEvent queued = ResponseEvent.queued(REQUEST);

        assertEquals(EventType.QUEUED, queued.type());
        assertEquals(ResponseEvent.MARKER_SEQ, queued.seq());
        assertEquals(4, queued.replyPartition());
        assertEquals(2, queued.attempt());
        final QueuedRequest described = Json.MAPPER.convertValue(queued.data(), QueuedRequest.class);
        assertEquals(new QueuedRequest("m", Endpoint.CHAT_COMPLETIONS, true, 1_000, 61_000, true, "key-7"), described);
        assertFalse(queued.data().has("body"), "the client's body stays in the envelope");
    }

    @Test
    void shouldRoundTripMarkersInTheirWireNames() {
        final byte[] bytes = SERDE.encode(ResponseEvent.started(REQUEST));
        assertTrue(new String(bytes, StandardCharsets.UTF_8).contains("\"type\":\"started\""));

        final ResponseEvent back = ((Decoded.Ok<ResponseEvent>) SERDE.decode(bytes)).value();
        assertEquals(EventType.STARTED, back.type());
        assertNull(back.data());
        final ResponseEvent queued = ((Decoded.Ok<ResponseEvent>) SERDE.decode(
                SERDE.encode(ResponseEvent.queued(REQUEST)))).value();
        assertEquals(EventType.QUEUED, queued.type());
        // numbers come back as the narrowest node type: compare what they say, not the tree
        assertEquals(QueuedRequest.of(REQUEST), Json.MAPPER.convertValue(queued.data(), QueuedRequest.class));
    }

    @Test
    void shouldTreatOnlyCompleteAndErrorAsTerminalAndOnlyQueuedAndStartedAsMarkers() {
        for (final EventType type : EventType.values()) {
            assertEquals(type == EventType.COMPLETE || type == EventType.ERROR, type.isTerminal(), type.name());
            assertEquals(type == EventType.QUEUED || type == EventType.STARTED, type.isMarker(), type.name());
        }
    }
}
