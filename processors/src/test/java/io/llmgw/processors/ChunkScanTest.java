package io.llmgw.processors;

import io.llmgw.schemas.Json;
import io.llmgw.schemas.RawJsonNode;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkScanTest {

    private static ChunkScan scan(final String json) {
        return ChunkScan.of(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldReadTheFinishReasonsAndTheUsageOfAChunk() {
        final ChunkScan running = scan("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},"
                + "\"finish_reason\":null}],\"usage\":null}");
        assertTrue(running.object());
        assertFalse(running.error());
        assertEquals(Boolean.FALSE, running.finished());
        assertNull(running.usage());

        final ChunkScan last = scan("{\"choices\":[{\"delta\":{}},{\"finish_reason\":\"stop\",\"logprobs\":{\"x\":[1]}}]}");
        assertEquals(Boolean.TRUE, last.finished());

        final ChunkScan usageOnly = scan("{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5}}");
        assertNull(usageOnly.finished(), "no choices: the last finish reason stands");
        assertEquals(5, usageOnly.usage().path("completion_tokens").asInt());

        // a nested usage or error is not the chunk's
        final ChunkScan nested = scan("{\"choices\":[{\"usage\":{\"a\":1},\"error\":{}}],\"x\":{\"usage\":1}}");
        assertNull(nested.usage());
        assertFalse(nested.error());
    }

    @Test
    void shouldTellAnErrorObjectFromAChunk() {
        assertTrue(scan("{\"error\":{\"message\":\"boom\",\"code\":500}}").error());
        assertFalse(scan("{\"error\":null,\"choices\":[]}").error());
    }

    @Test
    void shouldRefuseAnythingButOneWellFormedObject() {
        // the text is copied into the event's JSON as it is: one stray byte would make the whole event unreadable
        for (final String bad : new String[] {"[1,2]", "\"text\"", "{\"a\":1} {\"b\":2}", "{\"a\":1}x", "{\"a\":",
                "{\"a\":[1,}", "{\"a\" 1}", "", "{\"a\":\"\u0001\"}", "{\"a\":1}}"}) {
            assertFalse(scan(bad).object(), bad);
        }
        assertTrue(scan(" {\"a\":[{\"b\":[]}]}\n ").object());
    }

    @Test
    void shouldWriteARelayedChunkIntoItsEventAsItCameAndCarryItsUsage() throws Exception {
        final String chunk = "{\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"h\\u00e9 \\\"q\\\"\"}}],"
                + "\"usage\":{\"total_tokens\":7}}";
        final ChunkScan scanned = scan(chunk);
        final RequestEnvelope request = TestRequests.chat("r1", true);
        final ResponseEvent event = ResponseEvent.chunk(request, 4, new RawJsonNode(chunk, scanned.usage()));
        assertEquals(7, event.usage().path("total_tokens").asInt());

        final var topic = new Topics("llm").events();
        final byte[] wire = topic.valueSerde().serializer().serialize(topic.name(), event);
        final ResponseEvent read = topic.valueSerde().deserializer().deserialize(topic.name(), wire);
        assertEquals(Json.MAPPER.readTree(chunk), read.data());
        assertEquals("h\u00e9 \"q\"", read.data().at("/choices/0/delta/content").asText());
        assertEquals(7, read.usage().path("total_tokens").asInt());
        assertEquals(4, read.seq());
    }
}
