package io.llmgw.gateway;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BodyLimitTest {

    private final BodyLimit limit = new BodyLimit(10);

    @Test
    void shouldReturnTheBodyWhenItFits() throws Exception {
        final byte[] body = "0123456789".getBytes();

        assertArrayEquals(body, limit.read(-1, new ByteArrayInputStream(body)));
        assertArrayEquals(body, limit.read(10, new ByteArrayInputStream(body)));
    }

    @Test
    void shouldRefuseWithoutReadingWhenTheDeclaredLengthIsTooLarge() {
        final InputStream untouchable = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }
        };

        assertThrows(BodyLimit.TooLargeException.class, () -> limit.read(11, untouchable));
    }

    @Test
    void shouldStopReadingWhenAnUndeclaredBodyPassesTheLimit() {
        final CountingStream endless = new CountingStream();

        assertThrows(BodyLimit.TooLargeException.class, () -> limit.read(-1, endless));
        assertTrue(endless.served < 10_000, "read " + endless.served + " bytes of an endless body");
    }

    /** An endless body that counts what it served. */
    private static final class CountingStream extends InputStream {
        private long served;

        @Override
        public int read() {
            served++;
            return 'x';
        }
    }
}
