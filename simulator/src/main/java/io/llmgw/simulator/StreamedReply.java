package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Plays one streaming reply as server-sent events: per token one chunk per choice (the first announcing the assistant
 * role), a finish chunk per choice, the usage chunk when asked for, then {@code [DONE]}; every event is flushed on its
 * own. Stream faults ({@link InjectedFaults}) are applied between events.
 */
final class StreamedReply {

    static final String EVENT_STREAM = "text/event-stream; charset=utf-8";
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final CompletionRequest request;
    private final SimulatedReply reply;
    private final ReplyShapes shapes;
    private final TokenPacer pacer;
    private final ClientConnection connection;
    private long dueNanos;

    StreamedReply(final CompletionRequest request, final SimulatedReply reply, final ReplyShapes shapes,
                  final TokenPacer pacer, final ClientConnection connection) {
        this.request = request;
        this.reply = reply;
        this.shapes = shapes;
        this.pacer = pacer;
        this.connection = connection;
    }

    /** Streams the whole reply; {@code startNanos} is when the request arrived, which the first token counts from. */
    void play(final long startNanos) throws IOException, InterruptedException {
        connection.openStream(EVENT_STREAM);
        dueNanos = startNanos + pacer.firstTokenNanos();
        // a reply of zero tokens still has a first chunk carrying the role, with empty content
        final int steps = Math.max(1, reply.tokens().size());
        for (int step = 0; step < steps; step++) {
            connection.waitUntil(dueNanos);
            final String token = reply.tokens().isEmpty() ? "" : reply.tokens().get(step);
            for (int index = 0; index < request.n(); index++) {
                if (!emit(shapes.tokenChunk(index, token, step == 0))) {
                    return;
                }
            }
            dueNanos += pacer.nextTokenNanos();
        }
        for (int index = 0; index < request.n(); index++) {
            if (!emit(shapes.finishChunk(index, reply.finishReason()))) {
                return;
            }
        }
        if (request.includeUsage() && !emit(shapes.usageChunk(reply, request.n()))) {
            return;
        }
        if (applyFaults(true)) {
            connection.sendEvent(DONE);
        }
    }

    /** Sends one event unless a fault ends the stream first; false when the stream has ended. */
    private boolean emit(final JsonNode data) throws IOException, InterruptedException {
        if (!applyFaults(false)) {
            return false;
        }
        connection.sendEvent(event(data));
        return true;
    }

    /**
     * Applies the faults due before the next event. A fault placed beyond the last event fires before {@code [DONE]},
     * so {@code cut_after} always withholds {@code [DONE]}.
     */
    private boolean applyFaults(final boolean beforeDone) throws IOException, InterruptedException {
        final InjectedFaults faults = request.faults();
        final int sent = connection.eventsSent();
        if (due(faults.stallAfter(), sent, beforeDone)) {
            final long stallNanos = TimeUnit.MILLISECONDS.toNanos(faults.stallMs().orElse(0));
            connection.waitUntil(System.nanoTime() + stallNanos);
            // the tokens after a stall keep their pace instead of bursting to catch up
            dueNanos += stallNanos;
        }
        if (due(faults.errorAfter(), sent, beforeDone)) {
            final ApiError error = new ApiError(500, "Simulated engine failure after " + sent + " events.",
                    "server_error", null, "simulated_error");
            connection.sendEvent(event(error.toJson()));
            connection.sendEvent(DONE);
            return false;
        }
        if (due(faults.cutAfter(), sent, beforeDone)) {
            connection.cut();
            return false;
        }
        return true;
    }

    private static boolean due(final OptionalLong after, final int sent, final boolean beforeDone) {
        return after.isPresent() && (beforeDone ? after.getAsLong() >= sent : after.getAsLong() == sent);
    }

    static byte[] event(final JsonNode data) {
        final byte[] json = CompletionEndpoint.jsonBytes(data);
        final byte[] event = new byte[DATA.length + json.length + EVENT_END.length];
        System.arraycopy(DATA, 0, event, 0, DATA.length);
        System.arraycopy(json, 0, event, DATA.length, json.length);
        System.arraycopy(EVENT_END, 0, event, DATA.length + json.length, EVENT_END.length);
        return event;
    }
}
