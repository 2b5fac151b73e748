package io.llmgw.gateway;

import io.javalin.http.Context;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * Tells whether the client of a request is still connected while its handler waits for a reply.
 *
 * <p>Why this is needed: an HTTP/1.1 server notices a client that went away only on I/O. Jetty does not read the
 * connection while a handler runs (the request was read in full), its failure listeners fire on I/O errors only, and
 * the first write after the client's FIN still succeeds locally. So a waiting handler asks every
 * {@link #CHECK_INTERVAL} with a non-blocking one-byte read: end of stream means the client closed. The read would
 * swallow a pipelined next request, which LLM clients do not send; if a byte does arrive, the check stops and the
 * connection is closed after this response rather than misread.
 *
 * <p>Threading: used by the handler's thread only.
 */
final class ClientConnection {

    /** How often a waiting handler checks its client: bounds the delay from a disconnect to the cancel. */
    static final Duration CHECK_INTERVAL = Duration.ofMillis(100);

    private final Context ctx;
    private final EndPoint endPoint;
    private final ByteBuffer probe = BufferUtil.allocate(1);
    private boolean checkable = true;

    private ClientConnection(final Context ctx, final EndPoint endPoint) {
        this.ctx = ctx;
        this.endPoint = endPoint;
    }

    static ClientConnection of(final Context ctx) {
        final EndPoint endPoint = ServletContextRequest.getServletContextRequest(ctx.req())
                .getConnectionMetaData().getConnection().getEndPoint();
        return new ClientConnection(ctx, endPoint);
    }

    /** True once the client has closed its end of the connection (or the connection failed). */
    boolean isGone() {
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) {
            return true;
        }
        if (!checkable) {
            return false;
        }
        try {
            BufferUtil.clear(probe);
            final int read = endPoint.fill(probe);
            if (read > 0) {
                checkable = false;
                if (!ctx.res().isCommitted()) {
                    ctx.header("Connection", "close");
                }
            }
            return read < 0;
        } catch (final IOException e) {
            return true;
        }
    }
}
