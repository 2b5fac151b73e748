package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamLineTest {

    @Test
    void shouldCutTheContentOutOfAChunkWhenItHasNoEscapes() {
        final String data = ("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                + "\"content\":\" s3t7\"},\"finish_reason\":null}]}");

        assertEquals(" s3t7", StreamLine.content(data));
    }

    @Test
    void shouldParseTheChunkWhenTheContentHasEscapes() {
        final String data = "{\"choices\":[{\"delta\":{\"content\":\"a \\\"quoted\\\" \\u00e9\"}}]}";

        assertEquals("a \"quoted\" é", StreamLine.content(data));
    }

    @Test
    void shouldFindNoContentWhenTheChunkOnlyFinishes() {
        assertNull(StreamLine.content("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
        assertNull(StreamLine.content("{\"choices\":[{\"delta\":{\"content\":null}}]}"));
    }

    @Test
    void shouldTellDoneAndErrorEventsWhenTheyCome() {
        assertTrue(StreamLine.isDone("[DONE]"));
        assertTrue(StreamLine.isError("{\"error\":{\"message\":\"boom\"}}"));
        assertFalse(StreamLine.isError("{\"choices\":[]}"));
    }
}
