package io.llmgw.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Optional;

/**
 * The checks of a completions body that the gateway (before it publishes) and the router (before it routes) both
 * make: {@code model} is a non-empty string, the endpoint's required field has the shape the endpoint needs, and
 * {@code stream} is a boolean when present (and not true for embeddings, which have no stream form), as is
 * {@code background} for the Responses API. A problem is an
 * OpenAI-style 400 naming the field ({@code param}).
 *
 * <p>Only the fields the project acts on are checked; everything else in the body is the LLM host's to judge.
 * What is not about the body alone stays with its caller: parsing and the model list (gateway), the envelope's own
 * fields (router).
 */
public final class CompletionBody {

    private CompletionBody() {
    }

    /** The first problem of {@code body} for {@code endpoint}, in the order a client hears about them. */
    public static Optional<ApiError> problem(final Endpoint endpoint, final ObjectNode body) {
        return modelProblem(body.get("model"))
                .or(() -> requiredFieldProblem(endpoint, body))
                .or(() -> streamProblem(endpoint, body.get("stream")))
                .or(() -> backgroundProblem(endpoint, body.get("background")));
    }

    /** A short description of a JSON value's type for messages: {@code an array}, {@code a number}, ... */
    public static String kind(final JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }

    private static Optional<ApiError> modelProblem(final JsonNode model) {
        if (model == null || model.isNull()) {
            return rejected("you must provide a model parameter", "model");
        }
        if (!model.isTextual()) {
            return rejected("'model' must be a string, not " + kind(model) + ".", "model");
        }
        if (model.asText().isBlank()) {
            return rejected("'model' must not be empty.", "model");
        }
        return Optional.empty();
    }

    private static Optional<ApiError> requiredFieldProblem(final Endpoint endpoint, final ObjectNode body) {
        final String field = endpoint.requiredField();
        final JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return rejected("Missing required parameter: '" + field + "'.", field);
        }
        return switch (endpoint) {
            case CHAT_COMPLETIONS -> !value.isArray()
                    ? rejected("'" + field + "' must be an array of messages, not " + kind(value) + ".", field)
                    : value.isEmpty()
                    ? rejected("'" + field + "' must contain at least one message.", field)
                    : Optional.empty();
            // a prompt is a string, or an array of strings or of token ids; the LLM host checks the details
            case COMPLETIONS -> value.isTextual() || value.isArray()
                    ? Optional.empty()
                    : rejected("'" + field + "' must be a string or an array, not " + kind(value) + ".", field);
            // a string, or an array of strings or of token arrays; the host checks lengths and dimensions
            // the Responses API: a string, or an array of input items (messages, tool outputs, ...)
            case EMBEDDINGS, RESPONSES -> value.isTextual() || value.isArray()
                    ? Optional.empty()
                    : rejected("'" + field + "' must be a string or an array, not " + kind(value) + ".", field);
        };
    }

    private static Optional<ApiError> streamProblem(final Endpoint endpoint, final JsonNode stream) {
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            return rejected("'stream' must be a boolean, not " + kind(stream) + ".", "stream");
        }
        if (endpoint == Endpoint.EMBEDDINGS && stream != null && stream.asBoolean(false)) {
            return rejected("Embeddings cannot be streamed: 'stream' must be false or absent.", "stream");
        }
        return Optional.empty();
    }

    private static Optional<ApiError> backgroundProblem(final Endpoint endpoint, final JsonNode background) {
        return endpoint == Endpoint.RESPONSES && background != null && !background.isNull() && !background.isBoolean()
                ? rejected("'background' must be a boolean, not " + kind(background) + ".", "background")
                : Optional.empty();
    }

    private static Optional<ApiError> rejected(final String message, final String param) {
        return Optional.of(ApiError.badRequest(message, param));
    }
}
