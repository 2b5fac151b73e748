package io.llmgw.schemas;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class RequestEnvelopeTest {

    private static final RequestEnvelope FULL = new RequestEnvelope("req_1", Endpoint.CHAT_COMPLETIONS, "m", false,
            Json.object(), 0, 1, 0, "g", null, 1, false);

    @Test
    void shouldFindNothingMissingWhenEnvelopeIsComplete() {
        assertEquals(Optional.empty(), FULL.missingPart());
    }

    @Test
    void shouldNameTheMissingPartWhenEnvelopeIsIncomplete() {
        assertEquals(Optional.of("envelope has no id"), new RequestEnvelope(
                " ", FULL.endpoint(), FULL.model(), false, FULL.body(), 0, 1, 0, "g", null, 1, false).missingPart());
        assertEquals(Optional.of("envelope has no endpoint"), new RequestEnvelope(
                FULL.id(), null, FULL.model(), false, FULL.body(), 0, 1, 0, "g", null, 1, false).missingPart());
        assertEquals(Optional.of("envelope has no model"), new RequestEnvelope(
                FULL.id(), FULL.endpoint(), "", false, FULL.body(), 0, 1, 0, "g", null, 1, false).missingPart());
        assertEquals(Optional.of("envelope has no body"), new RequestEnvelope(
                FULL.id(), FULL.endpoint(), FULL.model(), false, null, 0, 1, 0, "g", null, 1, false).missingPart());
    }

    @Test
    void shouldKeepTheCheckOffTheWireWhenEncoded() {
        final String json = new String(new JsonSerde<>(RequestEnvelope.class).encode(FULL), StandardCharsets.UTF_8);
        assertFalse(json.contains("missingPart"), json);
        assertFalse(json.contains("envelope has no"), json);
    }
}
