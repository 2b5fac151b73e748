package io.llmgw.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import jakarta.servlet.http.HttpServletRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: records the request, validates it, applies
 * {@link InjectedFaults}, then answers after the simulated generation time or streams token by token.
 * <p>
 * Each request runs on its own virtual thread (Javalin's virtual-thread pool), so waiting per token is a plain sleep
 * that parks the virtual thread and no platform thread is held per stream.
 */
final class CompletionEndpoint implements Handler {

    static final String JSON = "application/json";

    private final Endpoint endpoint;
    private final SimulatorConfig config;
    private final SimulatorStats stats;

    CompletionEndpoint(final Endpoint endpoint, final SimulatorConfig config, final SimulatorStats stats) {
        this.endpoint = endpoint;
        this.config = config;
        this.stats = stats;
    }

    @Override
    public void handle(final Context ctx) {
        RecordedCall.serve(ctx, stats, this::respond);
    }

    private void respond(final JsonNode body, final long callNumber, final ClientConnection connection,
                         final long startNanos) throws IOException, InterruptedException {
        final CompletionRequest request;
        try {
            request = CompletionRequest.parse(endpoint, body);
        } catch (final InvalidRequestException e) {
            sendError(connection, e.error(), Map.of());
            return;
        }
        final InjectedFaults faults = request.faults();
        if (faults.failsOnCall(callNumber)) {
            sendInjectedFailure(connection, faults, callNumber);
            return;
        }
        final SimulatedReply reply = SimulatedReply.generate(body, config);
        final ReplyShapes shapes = ReplyShapes.start(request);
        final TokenPacer pacer = TokenPacer.of(config, faults);
        if (request.stream() && faults.contentType().isEmpty()) {
            stats.streamOpened();
            try {
                new StreamedReply(request, reply, shapes, pacer, connection).play(startNanos);
            } finally {
                stats.streamClosed();
            }
            return;
        }
        final long stallNanos = TimeUnit.MILLISECONDS.toNanos(faults.stallMs().orElse(0));
        connection.waitUntil(startNanos + pacer.wholeReplyNanos(reply.completionTokens()) + stallNanos);
        if (faults.cutAfter().isPresent()) {
            connection.cut();
            return;
        }
        final byte[] completion = jsonBytes(shapes.completion(reply, request.n()));
        final String contentType = request.stream() ? faults.contentType().orElseThrow() : JSON;
        final byte[] payload = contentType.toLowerCase(Locale.ROOT).contains("json")
                ? completion : "Simulated non-SSE response.\n".getBytes(StandardCharsets.UTF_8);
        connection.sendWhole(200, contentType, Map.of(), payload);
    }

    private static void sendInjectedFailure(final ClientConnection connection, final InjectedFaults faults,
                                            final long callNumber) throws IOException {
        final int status = (int) faults.failStatus().orElseThrow();
        final String message = "Simulated failure " + status + " on call " + callNumber
                + faults.key().map(key -> " of '" + key + "'").orElse("") + ".";
        final ApiError error = status == 429 ? ApiError.rateLimited(message)
                : new ApiError(status, message, status >= 500 ? "server_error" : "invalid_request_error", null,
                "simulated_failure");
        final Map<String, String> headers = new HashMap<>();
        faults.retryAfter().ifPresent(seconds -> headers.put("Retry-After", Long.toString(seconds)));
        sendError(connection, error, headers);
    }

    static void sendError(final ClientConnection connection, final ApiError error, final Map<String, String> headers)
            throws IOException {
        connection.sendWhole(error.status(), JSON, headers, jsonBytes(error.toJson()));
    }

    /** JSON of a tree built here; it always serializes, so a failure is a bug and is not passed off as I/O. */
    static byte[] jsonBytes(final JsonNode tree) {
        try {
            return Json.MAPPER.writeValueAsBytes(tree);
        } catch (final JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }


    static Map<String, String> headersOf(final HttpServletRequest request) {
        final Map<String, String> headers = new HashMap<>();
        for (final String name : Collections.list(request.getHeaderNames())) {
            headers.put(name.toLowerCase(Locale.ROOT), String.join(", ", Collections.list(request.getHeaders(name))));
        }
        return headers;
    }
}
