package io.llmgw.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a request body up to a size limit. A declared {@code Content-Length} over the limit is refused before a byte
 * is read; a chunked body is counted while it is read and refused as soon as it passes the limit, so an endless body
 * never fills the heap.
 */
public final class BodyLimit {

    /** The body is larger than the limit. */
    public static final class TooLargeException extends Exception {

        public TooLargeException(final long limit) {
            super("request body is larger than " + limit + " bytes");
        }
    }

    private final long maxBytes;

    public BodyLimit(final long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * @param declaredLength the {@code Content-Length}, or -1 when the client did not declare one
     */
    public byte[] read(final long declaredLength, final InputStream body) throws IOException, TooLargeException {
        if (declaredLength > maxBytes) {
            throw new TooLargeException(maxBytes);
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(
                (int) Math.min(declaredLength > 0 ? declaredLength : 8192, maxBytes));
        final byte[] buffer = new byte[8192];
        long total = 0;
        int read;
        while ((read = body.read(buffer)) != -1) {
            total += read;
            if (total > maxBytes) {
                throw new TooLargeException(maxBytes);
            }
            out.write(buffer, 0, read);
        }
        return out.toByteArray();
    }
}
