package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;

/**
 * A validated completion request: the fields the simulator acts on, checked the way OpenAI and vLLM check them, so
 * malformed input gets the same 400 a real host would give.
 *
 * <p>Deliberately not {@code io.llmgw.schemas.CompletionBody}: the simulator stands in for a foreign LLM host, so it
 * checks what such a host checks (roles, {@code n}, token limits) with its own messages; sharing the gateway's checks
 * would hide a request the gateway lets through that a real host refuses.
 */
record CompletionRequest(Endpoint endpoint, JsonNode body, String model, boolean stream, boolean includeUsage, int n,
                         InjectedFaults faults) {

    /** OpenAI's own upper bound for {@code n}. */
    static final int MAX_CHOICES = 128;

    static CompletionRequest parse(final Endpoint endpoint, final JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new InvalidRequestException(ApiError.badRequest(
                    "We could not parse the JSON body of your request: expected a JSON object.", null));
        }
        final String model = BodyFields.text(body, "model", "model")
                .filter(m -> !m.isBlank())
                .orElseThrow(() -> InvalidRequestException.badField("model", "is required"));
        requireInput(endpoint, body);
        BodyFields.longInRange(body, "max_tokens", "max_tokens", 1, Integer.MAX_VALUE);
        BodyFields.longInRange(body, "max_completion_tokens", "max_completion_tokens", 1, Integer.MAX_VALUE);
        final int n = (int) BodyFields.longInRange(body, "n", "n", 1, MAX_CHOICES).orElse(1);
        final boolean stream = BodyFields.bool(body, "stream", "stream").orElse(false);
        final boolean includeUsage = BodyFields.object(body, "stream_options", "stream_options")
                .flatMap(options -> BodyFields.bool(options, "include_usage", "stream_options.include_usage"))
                .orElse(false);
        return new CompletionRequest(endpoint, body, model, stream, includeUsage, n, InjectedFaults.from(body));
    }

    private static void requireInput(final Endpoint endpoint, final JsonNode body) {
        final String field = endpoint.requiredField();
        final JsonNode input = body.get(field);
        if (endpoint == Endpoint.CHAT_COMPLETIONS) {
            if (input == null || !input.isArray() || input.isEmpty()) {
                throw InvalidRequestException.badField(field, "must be a non-empty array of messages");
            }
            for (final JsonNode message : input) {
                if (!message.isObject() || !message.path("role").isTextual()) {
                    throw InvalidRequestException.badField(field, "must contain objects with a string 'role'");
                }
            }
        } else if (input == null || !(input.isTextual() || input.isArray() && !input.isEmpty())) {
            throw InvalidRequestException.badField(field, "must be a string or a non-empty array");
        }
    }
}
