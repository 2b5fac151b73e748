package io.llmgw.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An OpenAI-style error with the HTTP status to answer it with. On the wire (and to clients) it is
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
public record ApiError(int status, String message, String type, String param, String code) {

    public static ApiError badRequest(final String message, final String param) {
        return new ApiError(400, message, "invalid_request_error", param, null);
    }

    public static ApiError unauthorized(final String message) {
        return new ApiError(401, message, "invalid_request_error", null, "invalid_api_key");
    }

    public static ApiError modelNotFound(final String model) {
        return new ApiError(404, "The model `" + model + "` does not exist or you do not have access to it.",
                "invalid_request_error", "model", "model_not_found");
    }

    public static ApiError notFound(final String message) {
        return new ApiError(404, message, "invalid_request_error", null, "not_found");
    }

    public static ApiError tooLarge(final long limitBytes) {
        return new ApiError(413, "Request body is larger than the limit of " + limitBytes + " bytes.",
                "invalid_request_error", null, "request_too_large");
    }

    public static ApiError rateLimited(final String message) {
        return new ApiError(429, message, "rate_limit_error", null, "rate_limit_exceeded");
    }

    public static ApiError upstream(final int status, final String message) {
        return new ApiError(status, message, "upstream_error", null, "upstream_error");
    }

    public static ApiError unavailable(final String message) {
        return new ApiError(503, message, "service_unavailable", null, "service_unavailable");
    }

    public static ApiError timeout(final String message) {
        return new ApiError(504, message, "timeout", null, "timeout");
    }

    public ObjectNode toJson() {
        final ObjectNode error = Json.object();
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        final ObjectNode wrapper = Json.object();
        wrapper.set("error", error);
        return wrapper;
    }

    /**
     * Reads an OpenAI-style error body, as LLM hosts send them; falls back to {@code fallbackMessage} when the body is
     * something else (HTML from a proxy, empty, a bare string).
     */
    public static ApiError fromBody(final int status, final JsonNode body, final String fallbackMessage) {
        final JsonNode error = body == null ? null : body.get("error");
        if (error != null && error.isObject()) {
            return new ApiError(status,
                    textOr(error.get("message"), fallbackMessage),
                    textOr(error.get("type"), "upstream_error"),
                    textOr(error.get("param"), null),
                    textOr(error.get("code"), null));
        }
        if (error != null && error.isTextual()) {
            return new ApiError(status, error.asText(), "upstream_error", null, null);
        }
        if (body != null && body.hasNonNull("message")) {
            return new ApiError(status, body.get("message").asText(), "upstream_error", null, null);
        }
        return new ApiError(status, fallbackMessage, "upstream_error", null, null);
    }

    private static String textOr(final JsonNode node, final String fallback) {
        return node == null || node.isNull() ? fallback : node.asText();
    }
}
