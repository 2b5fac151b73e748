package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.QueuedRequest;
import io.llmgw.schemas.RawJsonNode;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class RelayedChunkTest {

    private static final Topic<String, ResponseEvent> EVENTS = new Topics("llm").events();

    private static byte[] wire(final ResponseEvent event) {
        return EVENTS.valueSerde().serializer().serialize(EVENTS.name(), event);
    }

    private static JsonNode tree(final String json) throws Exception {
        return Json.MAPPER.readTree(json);
    }

    @Test
    void shouldReadAChunkAsTheFullDecodeDoesButKeepItsDataAsItsText() throws Exception {
        final JsonNode data = tree("{\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"h\\u00e9 \\\"x\\\" \\n\"}}],"
                + "\"usage\":{\"total_tokens\":9}}");
        final ResponseEvent sent = new ResponseEvent("req_1", 7, EventType.CHUNK, null, data,
                data.get("usage"), 3, 2);

        final ResponseEvent read = RelayedChunk.of(wire(sent));

        assertNotNull(read, new String(wire(sent), StandardCharsets.UTF_8));
        final RawJsonNode raw = assertInstanceOf(RawJsonNode.class, read.data());
        assertEquals(data, raw.tree());
        assertEquals(new ResponseEvent("req_1", 7, EventType.CHUNK, null, data, data.get("usage"), 3, 2),
                new ResponseEvent(read.id(), read.seq(), read.type(), read.status(), raw.tree(), read.usage(),
                        read.replyPartition(), read.attempt()));
        // what the stream writer sends is the same JSON the tree would have been written as
        assertEquals(data, tree(new String(JsonResponse.bytes(read.data()), StandardCharsets.UTF_8)));
    }

    @Test
    void shouldLeaveEverythingButAPlainChunkToTheFullDecode() throws Exception {
        final JsonNode data = tree("{\"choices\":[]}");
        final QueuedRequest described = Json.MAPPER.readValue("{\"model\":\"m\"}", QueuedRequest.class);
        // an attempt's first event describes the request; the results and the sequencer want all of it
        assertNull(RelayedChunk.of(wire(new ResponseEvent("r", 0, EventType.CHUNK, null, data, null, 0, 1,
                described))));
        assertNull(RelayedChunk.of(wire(new ResponseEvent("r", 3, EventType.COMPLETE, null, data, null, 0, 1))));
        assertNull(RelayedChunk.of(wire(new ResponseEvent("r", 3, EventType.ERROR, 502, data, null, 0, 1))));
        assertNull(RelayedChunk.of(wire(new ResponseEvent("r", 3, EventType.CHUNK, null, null, null, 0, 1))));

        final byte[] good = wire(new ResponseEvent("r", 3, EventType.CHUNK, null, data, null, 0, 1));
        assertNotNull(RelayedChunk.of(good));
        for (int cut = 1; cut < good.length; cut++) {
            assertNull(RelayedChunk.of(Arrays.copyOf(good, cut)), "cut at " + cut);
        }
        final String text = new String(good, StandardCharsets.UTF_8);
        assertNull(RelayedChunk.of((text + "x").getBytes(StandardCharsets.UTF_8)));
        assertNull(RelayedChunk.of(text.replace("\"seq\":3", "\"seq\":\"3\"").getBytes(StandardCharsets.UTF_8)));
        assertNull(RelayedChunk.of(text.replace("{\"choices\":[]}", "[1]").getBytes(StandardCharsets.UTF_8)));
        assertNull(RelayedChunk.of(null));
    }
}
