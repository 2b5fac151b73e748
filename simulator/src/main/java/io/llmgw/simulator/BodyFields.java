package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Typed, validated reads of optional request fields. JSON {@code null} counts as absent, as OpenAI treats it; a value
 * of the wrong type is the client's mistake and becomes a 400 naming the field.
 */
final class BodyFields {

    private BodyFields() {
    }

    static OptionalLong nonNegativeLong(final JsonNode parent, final String field, final String param) {
        final JsonNode node = parent.get(field);
        if (absent(node)) {
            return OptionalLong.empty();
        }
        if (!node.canConvertToExactIntegral() || !node.canConvertToLong() || node.asLong() < 0) {
            throw InvalidRequestException.badField(param, "must be a non-negative integer");
        }
        return OptionalLong.of(node.asLong());
    }

    static OptionalLong longInRange(final JsonNode parent, final String field, final String param,
                                    final long min, final long max) {
        final OptionalLong value = nonNegativeLong(parent, field, param);
        if (value.isPresent() && (value.getAsLong() < min || value.getAsLong() > max)) {
            throw InvalidRequestException.badField(param, "must be an integer from " + min + " to " + max);
        }
        return value;
    }

    static OptionalDouble nonNegativeNumber(final JsonNode parent, final String field, final String param) {
        final JsonNode node = parent.get(field);
        if (absent(node)) {
            return OptionalDouble.empty();
        }
        if (!node.isNumber() || node.asDouble() < 0 || !Double.isFinite(node.asDouble())) {
            throw InvalidRequestException.badField(param, "must be a non-negative number");
        }
        return OptionalDouble.of(node.asDouble());
    }

    static Optional<Boolean> bool(final JsonNode parent, final String field, final String param) {
        final JsonNode node = parent.get(field);
        if (absent(node)) {
            return Optional.empty();
        }
        if (!node.isBoolean()) {
            throw InvalidRequestException.badField(param, "must be a boolean");
        }
        return Optional.of(node.booleanValue());
    }

    static Optional<String> text(final JsonNode parent, final String field, final String param) {
        final JsonNode node = parent.get(field);
        if (absent(node)) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw InvalidRequestException.badField(param, "must be a string");
        }
        return Optional.of(node.textValue());
    }

    static Optional<JsonNode> object(final JsonNode parent, final String field, final String param) {
        final JsonNode node = parent.get(field);
        if (absent(node)) {
            return Optional.empty();
        }
        if (!node.isObject()) {
            throw InvalidRequestException.badField(param, "must be an object");
        }
        return Optional.of(node);
    }

    private static boolean absent(final JsonNode node) {
        return node == null || node.isNull();
    }
}
