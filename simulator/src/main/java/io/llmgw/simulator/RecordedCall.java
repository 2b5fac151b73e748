package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.javalin.http.Context;
import io.llmgw.schemas.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * What every simulated endpoint does around its own answer: read the body (an unreadable one becomes a missing node,
 * answered 400 by the endpoint, and is still recorded for the test to see), record the request in the stats, and
 * count a client that goes away mid-answer as a cancel. Runs on the request's own virtual thread.
 */
final class RecordedCall {

    /** An endpoint's answer to one recorded request. */
    @FunctionalInterface
    interface Responder {
        void respond(JsonNode body, long callNumber, ClientConnection connection, long startNanos)
                throws IOException, InterruptedException;
    }

    private RecordedCall() {
    }

    /** Records the request, answers it with {@code responder}, and records a cancel if the client left. */
    static void serve(final Context ctx, final SimulatorStats stats, final Responder responder) {
        final long startNanos = System.nanoTime();
        final byte[] raw = ctx.bodyAsBytes();
        final JsonNode body = parse(raw);
        final ReceivedRequest received = record(ctx, raw, body);
        final long callNumber = stats.recordRequest(received);
        final ClientConnection connection = ClientConnection.of(ctx);
        try {
            responder.respond(body, callNumber, connection, startNanos);
        } catch (final IOException e) {
            stats.recordClientCancel(new ClientCancel(Instant.now(), ctx.path(), received.model().orElse(""),
                    received.simKey().orElse(""), connection.eventsSent()));
        } catch (final InterruptedException e) {
            // only our own shutdown interrupts a request thread
            Thread.currentThread().interrupt();
        }
    }

    /** The request as the stats keep it. */
    static ReceivedRequest record(final Context ctx, final byte[] raw, final JsonNode body) {
        return new ReceivedRequest(Instant.now(), ctx.method().name(), ctx.path(),
                CompletionEndpoint.headersOf(ctx.req()), new String(raw, StandardCharsets.UTF_8), body);
    }

    static JsonNode parse(final byte[] raw) {
        try {
            final JsonNode body = Json.MAPPER.readTree(raw);
            return body == null ? MissingNode.getInstance() : body;
        } catch (final IOException e) {
            return MissingNode.getInstance();
        }
    }
}
