package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamLineTest {

    @Test
    void shouldCutTheContentOutOfAChunkWhenItHasNoEscapes() {
        final String data = StreamLine.data("data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                + "\"content\":\" s3t7\"},\"finish_reason\":null}]}");

        assertEquals(" s3t7", StreamLine.content(data));
    }

    @Test
    void shouldParseTheChunkWhenTheContentHasEscapes() {
        final String data = StreamLine.data("data: {\"choices\":[{\"delta\":{\"content\":\"a \\\"quoted\\\" \\u00e9\"}}]}");

        assertEquals("a \"quoted\" é", StreamLine.content(data));
    }

    @Test
    void shouldFindNoContentWhenTheChunkOnlyFinishes() {
        assertNull(StreamLine.content("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"));
        assertNull(StreamLine.content("{\"choices\":[{\"delta\":{\"content\":null}}]}"));
    }

    @Test
    void shouldTellDoneAndErrorEventsWhenTheyCome() {
        assertTrue(StreamLine.isDone(StreamLine.data("data: [DONE]")));
        assertTrue(StreamLine.isError(StreamLine.data("data: {\"error\":{\"message\":\"boom\"}}")));
        assertFalse(StreamLine.isError(StreamLine.data("data: {\"choices\":[]}")));
    }

    @Test
    void shouldIgnoreCommentsAndOtherFieldsWhenTheLineIsNoData() {
        assertNull(StreamLine.data(": keep-alive"));
        assertNull(StreamLine.data("id: 4"));
        assertNull(StreamLine.data(""));
    }
}
