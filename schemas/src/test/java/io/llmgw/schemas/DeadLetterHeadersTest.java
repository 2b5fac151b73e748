package io.llmgw.schemas;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class DeadLetterHeadersTest {

    private static String text(final Headers headers, final String name) {
        return headers.lastHeader(name) == null ? null
                : new String(headers.lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    @Test
    void shouldKeepTheOriginalHeadersAndReplaceEarlierDeadLetterHeadersWhenDescribingARecord() {
        final Headers original = new RecordHeaders();
        original.add("traceparent", "00-abc".getBytes(StandardCharsets.UTF_8));
        original.add(DeadLetterHeaders.REASON, "old".getBytes(StandardCharsets.UTF_8));

        final Headers headers = DeadLetterHeaders.of(original, "not JSON", "worker", "llm.requests.m", 3, 42L);

        assertEquals("00-abc", text(headers, "traceparent"));
        assertEquals("not JSON", text(headers, DeadLetterHeaders.REASON));
        assertEquals(1, headers.toArray().length - 5, "one reason header, not two");
        assertEquals("worker", text(headers, DeadLetterHeaders.STAGE));
        assertEquals("llm.requests.m", text(headers, DeadLetterHeaders.SOURCE_TOPIC));
        assertEquals("3", text(headers, DeadLetterHeaders.SOURCE_PARTITION));
        assertEquals("42", text(headers, DeadLetterHeaders.SOURCE_OFFSET));
        assertEquals("old", text(original, DeadLetterHeaders.REASON), "the original headers are left alone");
    }

    @Test
    void shouldLeaveTheSourceOutWhenItIsUnknown() {
        final Headers headers = DeadLetterHeaders.of(null, "why", "router", null, 0, 0L);

        assertEquals("why", text(headers, DeadLetterHeaders.REASON));
        assertNull(headers.lastHeader(DeadLetterHeaders.SOURCE_TOPIC));
    }
}
