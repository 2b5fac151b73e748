package io.llmgw.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.RequestEnvelope;

import java.util.Optional;

/**
 * What the router checks before a request may reach a model topic. Pure functions over an envelope: the router turns
 * an incomplete envelope into a dead letter and an invalid request into a 400 event.
 */
public final class RequestValidation {

    private RequestValidation() {
    }

    /**
     * Why an envelope cannot be answered at all, if it cannot: without an id, endpoint, model or body there is no
     * request to reply to (or nothing to send), so it is a dead letter rather than a client error.
     */
    public static Optional<String> incompleteEnvelope(final RequestEnvelope envelope) {
        if (envelope.id() == null || envelope.id().isBlank()) {
            return Optional.of("envelope has no id");
        }
        if (envelope.endpoint() == null) {
            return Optional.of("envelope has no endpoint");
        }
        if (envelope.model() == null || envelope.model().isBlank()) {
            return Optional.of("envelope has no model");
        }
        if (envelope.body() == null) {
            return Optional.of("envelope has no body");
        }
        return Optional.empty();
    }

    /**
     * The client error in a complete envelope, if any: the body's {@code model} must name the envelope's model and the
     * endpoint's required field must have the shape the endpoint needs.
     */
    public static Optional<ApiError> invalidRequest(final RequestEnvelope envelope) {
        final ObjectNode body = envelope.body();
        final JsonNode model = body.get("model");
        if (model == null || !model.isTextual() || model.asText().isEmpty()) {
            return Optional.of(ApiError.badRequest("you must provide a model parameter", "model"));
        }
        if (!model.asText().equals(envelope.model())) {
            return Optional.of(ApiError.badRequest("The body's model `" + model.asText()
                    + "` does not match the request's model `" + envelope.model() + "`.", "model"));
        }
        return invalidRequiredField(envelope.endpoint(), body);
    }

    private static Optional<ApiError> invalidRequiredField(final Endpoint endpoint, final ObjectNode body) {
        final String field = endpoint.requiredField();
        final JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.of(ApiError.badRequest("Missing required parameter: '" + field + "'.", field));
        }
        return switch (endpoint) {
            case CHAT_COMPLETIONS -> nonEmptyArray(field, value);
            case COMPLETIONS -> value.isTextual() || value.isArray()
                    ? Optional.empty()
                    : Optional.of(ApiError.badRequest(
                            "Invalid type for '" + field + "': expected a string or an array.", field));
            // An endpoint added later is checked for presence only until it gets its own rule here.
            default -> Optional.empty();
        };
    }

    private static Optional<ApiError> nonEmptyArray(final String field, final JsonNode value) {
        if (!value.isArray()) {
            return Optional.of(ApiError.badRequest("Invalid type for '" + field + "': expected an array.", field));
        }
        if (value.isEmpty()) {
            return Optional.of(ApiError.badRequest("Invalid '" + field
                    + "': empty array. Expected an array with minimum length 1.", field));
        }
        return Optional.empty();
    }
}
