package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/responses}, the Responses API: the same echo as chat ({@code "You said: "} and the last user input),
 * as a {@code response} object, or with {@code stream: true} as typed events ({@link ResponsesStream}). Pacing and
 * {@code x_sim} faults work as for chat ({@link InjectedFaults}); {@code max_output_tokens} caps the reply (status
 * {@code incomplete}). {@code background} is ignored: the simulator always answers in the foreground.
 *
 * <p>Each request runs on its own virtual thread, as in {@link CompletionEndpoint}.
 */
final class ResponsesEndpoint implements Handler {

    private final SimulatorConfig config;
    private final SimulatorStats stats;

    ResponsesEndpoint(final SimulatorConfig config, final SimulatorStats stats) {
        this.config = config;
        this.stats = stats;
    }

    @Override
    public void handle(final Context ctx) {
        RecordedCall.serve(ctx, stats, this::respond);
    }

    private void respond(final JsonNode body, final long callNumber, final ClientConnection connection,
                         final long startNanos) throws IOException, InterruptedException {
        final ObjectNode echo;
        final String model;
        final boolean stream;
        final InjectedFaults faults;
        try {
            if (!body.isObject()) {
                throw new InvalidRequestException(ApiError.badRequest(
                        "We could not parse the JSON body of your request: expected a JSON object.", null));
            }
            model = BodyFields.text(body, "model", "model").filter(m -> !m.isBlank())
                    .orElseThrow(() -> InvalidRequestException.badField("model", "is required"));
            BodyFields.longInRange(body, "max_output_tokens", "max_output_tokens", 1, Integer.MAX_VALUE);
            stream = BodyFields.bool(body, "stream", "stream").orElse(false);
            echo = echoBody(body);
            faults = InjectedFaults.from(body);
        } catch (final InvalidRequestException e) {
            CompletionEndpoint.sendError(connection, e.error(), Map.of());
            return;
        }
        if (faults.failsOnCall(callNumber)) {
            final int status = (int) faults.failStatus().orElseThrow();
            CompletionEndpoint.sendError(connection, new ApiError(status, "Simulated failure " + status + " on call "
                    + callNumber + ".", status >= 500 ? "server_error" : "invalid_request_error", null,
                    "simulated_failure"), faults.retryAfter().isPresent()
                    ? Map.of("Retry-After", Long.toString(faults.retryAfter().getAsLong())) : Map.of());
            return;
        }
        final SimulatedReply reply = SimulatedReply.generate(echo, config);
        final ResponseShapes shapes = ResponseShapes.start(model, body);
        final TokenPacer pacer = TokenPacer.of(config, faults);
        if (stream) {
            stats.streamOpened();
            try {
                new ResponsesStream(shapes, reply, faults, pacer, connection).play(startNanos);
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
        connection.sendWhole(200, CompletionEndpoint.JSON, Map.of(),
                CompletionEndpoint.jsonBytes(shapes.finished(reply)));
    }

    /**
     * The body {@link SimulatedReply} reads, for a Responses request: {@code input} as the prompt (a string, or the
     * text of the last user item), {@code max_output_tokens} as the cap, and the {@code x_sim} options.
     */
    static ObjectNode echoBody(final JsonNode body) {
        final JsonNode input = body.get("input");
        if (input == null || !(input.isTextual() || input.isArray() && !input.isEmpty())) {
            throw InvalidRequestException.badField("input", "must be a string or a non-empty array");
        }
        final ObjectNode echo = Json.object().put("prompt", inputText(input));
        if (body.has("max_output_tokens")) {
            echo.set("max_tokens", body.get("max_output_tokens"));
        }
        if (body.has(InjectedFaults.FIELD)) {
            echo.set(InjectedFaults.FIELD, body.get(InjectedFaults.FIELD));
        }
        return echo;
    }

    /** The text a Responses {@code input} asks about: the string, or the last user item's text parts. */
    static String inputText(final JsonNode input) {
        if (input.isTextual()) {
            return input.textValue();
        }
        for (int i = input.size() - 1; i >= 0; i--) {
            final JsonNode item = input.get(i);
            if (!"user".equals(item.path("role").asText())) {
                continue;
            }
            final JsonNode content = item.path("content");
            if (content.isTextual()) {
                return content.textValue();
            }
            final List<String> texts = new ArrayList<>();
            for (final JsonNode part : content) {
                final String type = part.path("type").asText();
                if ((type.equals("input_text") || type.equals("text")) && part.path("text").isTextual()) {
                    texts.add(part.path("text").textValue());
                }
            }
            return String.join("\n", texts);
        }
        return "";
    }

}
