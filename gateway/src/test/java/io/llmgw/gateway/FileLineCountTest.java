package io.llmgw.gateway;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FileLineCountTest {

    private static long count(final String... pieces) {
        final FileStore.LineCount count = new FileStore.LineCount();
        for (final String piece : pieces) {
            final byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
            count.add(bytes, bytes.length);
        }
        return count.finish();
    }

    @Test
    void shouldCountNonBlankLinesAcrossChunkBorders() {
        assertEquals(3, count("{\"a\":1}\n{\"b\"", ":2}\r\n\n  \n{\"c\":3}"));
        assertEquals(0, count("\n \r\n"));
        assertEquals(1, count("x"));
    }
}
