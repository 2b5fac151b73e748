package io.llmgw.simulator;

import io.javalin.http.Context;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/1.1 connection of one request, written to directly (no framework buffering or compression) so that every
 * event reaches the client when it is flushed, and so that a fault can close the socket abruptly.
 * <p>
 * Noticing a client that went away is the point of several tests, and HTTP/1.1 servers only notice on I/O: Jetty does
 * not read while a handler runs, and the first write after the client's FIN still succeeds locally. So long waits
 * are sliced, and after each slice the socket is probed with a non-blocking read: end of stream means the client
 * closed. The probe would swallow a pipelined request, which LLM clients do not send.
 */
final class ClientConnection {

    private static final long PROBE_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final HttpServletResponse response;
    private final EndPoint endPoint;
    private final ByteBuffer probe = BufferUtil.allocate(1);
    private int eventsSent;

    private ClientConnection(final HttpServletResponse response, final EndPoint endPoint) {
        this.response = response;
        this.endPoint = endPoint;
    }

    static ClientConnection of(final Context ctx) {
        final EndPoint endPoint = ServletContextRequest.getServletContextRequest(ctx.req())
                .getConnectionMetaData().getConnection().getEndPoint();
        return new ClientConnection(ctx.res(), endPoint);
    }

    /** A complete response at once, unless the client is already gone. */
    void sendWhole(final int status, final String contentType, final Map<String, String> headers, final byte[] body)
            throws IOException {
        requireClient();
        response.setStatus(status);
        response.setContentType(contentType);
        headers.forEach(response::setHeader);
        response.setContentLength(body.length);
        final ServletOutputStream out = response.getOutputStream();
        out.write(body);
        out.flush();
    }

    /** Sends the status and headers of a stream now, as vLLM does, before the first token exists. */
    void openStream(final String contentType) throws IOException {
        requireClient();
        response.setStatus(200);
        response.setContentType(contentType);
        response.setHeader("Cache-Control", "no-cache");
        response.flushBuffer();
    }

    void sendEvent(final byte[] event) throws IOException {
        final ServletOutputStream out = response.getOutputStream();
        out.write(event);
        out.flush();
        eventsSent++;
    }

    /** Sleeps until {@code deadlineNanos} ({@link System#nanoTime()}), failing early if the client goes away. */
    void waitUntil(final long deadlineNanos) throws IOException, InterruptedException {
        long remaining = deadlineNanos - System.nanoTime();
        // short waits are left to the next write to detect: probing every token would cost a syscall per token
        final boolean probing = remaining >= PROBE_SLICE_NANOS;
        while (remaining > 0) {
            Thread.sleep(Duration.ofNanos(Math.min(remaining, PROBE_SLICE_NANOS)));
            if (probing) {
                requireClient();
            }
            remaining = deadlineNanos - System.nanoTime();
        }
    }

    /** Closes the socket without ending the response, as a crashed host would. */
    void cut() {
        endPoint.close();
    }

    int eventsSent() {
        return eventsSent;
    }

    private void requireClient() throws IOException {
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) {
            throw new ClientGoneException();
        }
        BufferUtil.clear(probe);
        if (endPoint.fill(probe) < 0) {
            throw new ClientGoneException();
        }
    }

    /** The client closed its end of the connection. */
    static final class ClientGoneException extends IOException {
        ClientGoneException() {
            super("client closed the connection", null);
        }
    }
}
