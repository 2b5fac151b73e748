package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A {@code text/event-stream} answer as the OpenAI SDKs read it: {@code data: <json>} events (named ones,
 * {@code event: <name>}, for the Responses API), each flushed at once, ended by {@code data: [DONE]} (chat and
 * completions). An event that stands for a response event carries its seq as the SSE event id
 * ({@code id: <seq>}), which a client hands back as {@code Last-Event-ID} to resume at
 * {@code GET /v1/requests/{id}/events}. Writes go to the servlet response directly, past any compression, so that no
 * chunk waits in a buffer. Every write throws {@link IOException} once the client has gone away.
 */
final class SseStream {

    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_OF_LINE = "\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_OF_EVENT = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    // a comment line: SSE readers ignore it, but it keeps proxies from timing out a quiet stream
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

    /** One event; {@code seq} below 0 writes no id (the gateway made the event itself). */
    void data(final long seq, final JsonNode json) throws IOException {
        id(seq);
        out.write(DATA);
        out.write(JsonResponse.bytes(json));
        out.write(END_OF_EVENT);
        out.flush();
    }

    /** A named event ({@code event: <name>}, then as {@link #data}), as the Responses API streams them. */
    void event(final String name, final long seq, final JsonNode json) throws IOException {
        id(seq);
        out.write(EVENT);
        out.write(name.replaceAll("[\\r\\n]", "").getBytes(StandardCharsets.UTF_8));
        out.write(END_OF_LINE);
        out.write(DATA);
        out.write(JsonResponse.bytes(json));
        out.write(END_OF_EVENT);
        out.flush();
    }

    void keepAlive() throws IOException {
        out.write(KEEP_ALIVE);
        out.flush();
    }

    /** {@code data: [DONE]}, with the seq of the response event that ended the stream when there is one. */
    void done(final long seq) throws IOException {
        id(seq);
        out.write(DONE);
        out.flush();
    }

    private void id(final long seq) throws IOException {
        if (seq >= 0) {
            out.write(ID);
            out.write(Long.toString(seq).getBytes(StandardCharsets.US_ASCII));
            out.write(END_OF_LINE);
        }
    }
}
