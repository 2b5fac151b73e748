package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A {@code text/event-stream} answer as the OpenAI SDKs read it: {@code data: <json>} events, each flushed at once,
 * ended by {@code data: [DONE]}. Writes go to the servlet response directly, past any compression, so that no
 * chunk waits in a buffer. Every write throws {@link IOException} once the client has gone away.
 */
final class SseStream {

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_OF_EVENT = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    // a comment line: SSE readers ignore it, but writing it reveals a client that has disconnected
    private static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ServletOutputStream out;

    private SseStream(final ServletOutputStream out) {
        this.out = out;
    }

    /** Commits a 200 event-stream response. */
    static SseStream open(final HttpServletResponse response) throws IOException {
        response.setStatus(200);
        response.setContentType("text/event-stream; charset=utf-8");
        response.setHeader("Cache-Control", "no-cache");
        // nginx and similar proxies buffer responses unless told not to
        response.setHeader("X-Accel-Buffering", "no");
        final SseStream stream = new SseStream(response.getOutputStream());
        response.flushBuffer();
        return stream;
    }

    void data(final JsonNode json) throws IOException {
        out.write(DATA);
        out.write(JsonResponse.bytes(json));
        out.write(END_OF_EVENT);
        out.flush();
    }

    void keepAlive() throws IOException {
        out.write(KEEP_ALIVE);
        out.flush();
    }

    void done() throws IOException {
        out.write(DONE);
        out.flush();
    }
}
