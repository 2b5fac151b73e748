package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A request as the simulator received it, for tests to check that the client's body and credentials arrived
 * unchanged.
 *
 * @param headers header names in lower case; repeated headers joined with {@code ", "}
 * @param rawBody the body as sent, decoded as UTF-8
 * @param body    the body parsed with the project's JSON configuration (exact decimals); a missing node when it was
 *                not JSON
 */
public record ReceivedRequest(Instant receivedAt, String method, String path, Map<String, String> headers,
                              String rawBody, JsonNode body) {

    public ReceivedRequest {
        headers = Map.copyOf(headers);
    }

    public Optional<String> header(final String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }

    /** The token of an {@code Authorization: Bearer <token>} header. */
    public Optional<String> bearerToken() {
        return header("authorization")
                .filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(value -> value.substring(7).trim());
    }

    public Optional<String> model() {
        final JsonNode model = body.path("model");
        return model.isTextual() ? Optional.of(model.textValue()) : Optional.empty();
    }

    /** The {@code x_sim.key} of the body, if any. */
    public Optional<String> simKey() {
        return InjectedFaults.keyOf(body);
    }
}
