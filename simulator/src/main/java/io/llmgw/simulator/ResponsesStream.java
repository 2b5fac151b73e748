package io.llmgw.simulator;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Plays one Responses API stream as typed server-sent events ({@code event: <type>} and {@code data: <json>}), in
 * OpenAI's order: {@code response.created}, {@code response.in_progress}, {@code response.output_item.added},
 * {@code response.content_part.added} (all at once), one {@code response.output_text.delta} per token (the first after
 * the time to first token), {@code response.output_text.done}, {@code response.content_part.done},
 * {@code response.output_item.done}, then {@code response.completed} (or {@code response.incomplete} when capped).
 * No {@code [DONE]}. Faults apply before the event they are placed at, counting events from 0:
 * {@code error_after} sends an {@code error} event and ends the stream, {@code cut_after} closes the socket,
 * {@code stall_after} pauses.
 */
final class ResponsesStream {

    private final ResponseShapes shapes;
    private final SimulatedReply reply;
    private final InjectedFaults faults;
    private final TokenPacer pacer;
    private final ClientConnection connection;
    private long sequence;
    private long dueNanos;

    ResponsesStream(final ResponseShapes shapes, final SimulatedReply reply, final InjectedFaults faults,
                    final TokenPacer pacer, final ClientConnection connection) {
        this.shapes = shapes;
        this.reply = reply;
        this.faults = faults;
        this.pacer = pacer;
        this.connection = connection;
    }

    void play(final long startNanos) throws IOException, InterruptedException {
        connection.openStream(StreamedReply.EVENT_STREAM);
        final ObjectNode started = shapes.response("in_progress", null, null);
        if (!emit(responseEvent("response.created", started)) || !emit(responseEvent("response.in_progress", started))
                || !emit(itemEvent("response.output_item.added", shapes.item("in_progress", null)))
                || !emit(partEvent("response.content_part.added", ResponseShapes.part("")))) {
            return;
        }
        dueNanos = startNanos + pacer.firstTokenNanos();
        for (final String token : reply.tokens()) {
            connection.waitUntil(dueNanos);
            final ObjectNode delta = shapes.partEvent("response.output_text.delta", sequence).put("delta", token);
            delta.putArray("logprobs");
            if (!emit(delta)) {
                return;
            }
            dueNanos += pacer.nextTokenNanos();
        }
        final String text = reply.text();
        final ObjectNode textDone = shapes.partEvent("response.output_text.done", sequence).put("text", text);
        textDone.putArray("logprobs");
        if (emit(textDone) && emit(partEvent("response.content_part.done", ResponseShapes.part(text)))
                && emit(itemEvent("response.output_item.done", shapes.item("completed", text)))) {
            emit(responseEvent("response." + ResponseShapes.finalStatus(reply), shapes.finished(reply)));
        }
    }

    private ObjectNode responseEvent(final String type, final ObjectNode response) {
        final ObjectNode event = ResponseShapes.event(type, sequence);
        event.set("response", response);
        return event;
    }

    private ObjectNode itemEvent(final String type, final ObjectNode item) {
        final ObjectNode event = ResponseShapes.event(type, sequence).put("output_index", 0);
        event.set("item", item);
        return event;
    }

    private ObjectNode partEvent(final String type, final ObjectNode part) {
        final ObjectNode event = shapes.partEvent(type, sequence);
        event.set("part", part);
        return event;
    }

    /** Sends one event unless a fault ends the stream first; false when the stream has ended. */
    private boolean emit(final ObjectNode event) throws IOException, InterruptedException {
        final int sent = connection.eventsSent();
        if (due(faults.stallAfter(), sent)) {
            final long stallNanos = TimeUnit.MILLISECONDS.toNanos(faults.stallMs().orElse(0));
            connection.waitUntil(System.nanoTime() + stallNanos);
            dueNanos += stallNanos;
        }
        if (due(faults.errorAfter(), sent)) {
            connection.sendEvent(typed(ResponseShapes.event("error", sequence)
                    .put("code", "simulated_error")
                    .put("message", "Simulated engine failure after " + sent + " events.")
                    .putNull("param")));
            return false;
        }
        if (due(faults.cutAfter(), sent)) {
            connection.cut();
            return false;
        }
        connection.sendEvent(typed(event));
        sequence++;
        return true;
    }

    private static boolean due(final OptionalLong after, final int sent) {
        return after.isPresent() && after.getAsLong() == sent;
    }

    /** {@code event: <type>}, then {@code data: <json>}. */
    static byte[] typed(final ObjectNode event) {
        final byte[] name = ("event: " + event.path("type").asText() + "\n").getBytes(StandardCharsets.UTF_8);
        final byte[] data = StreamedReply.event(event);
        final byte[] both = new byte[name.length + data.length];
        System.arraycopy(name, 0, both, 0, name.length);
        System.arraycopy(data, 0, both, name.length, data.length);
        return both;
    }
}
