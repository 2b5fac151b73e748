package io.llmgw.keys;

import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.Priority;
import io.llmgw.schemas.Topics;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiKeyTest {

    @Test
    void shouldMatchItsOwnSecretOnlyAndNeverKeepIt() throws Exception {
        final KeySecret.Minted minted = KeySecret.mint();
        final ApiKey key = key(minted, List.of());

        assertTrue(KeySecret.matches(key, minted.secret()));
        assertFalse(KeySecret.matches(key, KeySecret.mint().secret()));
        assertEquals(minted.id(), KeySecret.idOf(minted.secret()).orElseThrow());
        final String json = Json.MAPPER.writeValueAsString(key);
        assertFalse(json.contains(minted.secret().substring(26)), "the stored record holds no part of the secret");
        assertFalse(minted.toString().contains(minted.secret()));
        assertNotEquals(KeySecret.mint().secret(), KeySecret.mint().secret());
    }

    @Test
    void shouldReadBackWhatItWroteThroughTheTopicsSerde() {
        final ApiKey key = key(KeySecret.mint(), List.of("gpt-*", "Qwen/*"));
        final var serde = new Topics("llm").keys().valueSerde();

        final var decoded = assertInstanceOf(Decoded.Ok.class, serde.decode(serde.serializer().serialize("t", key)));

        assertEquals(key, decoded.value());
    }

    @Test
    void shouldRefuseNamesAndLimitsThatCannotBeRight() {
        final KeySecret.Minted minted = KeySecret.mint();
        assertThrows(IllegalArgumentException.class, () -> new ApiKey(minted.id(), "has space", minted.salt(),
                minted.digest(), List.of(), null, null, null, null, null, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new ApiKey(minted.id(), "ok", minted.salt(),
                minted.digest(), List.of(), 0, null, null, null, null, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new ApiKey("not-hex", "ok", minted.salt(),
                minted.digest(), List.of(), null, null, null, null, null, false, 0));
    }

    @Test
    void shouldAllowModelsByGlobAndStopAtExpiryOrRevocation() {
        final ApiKey key = key(KeySecret.mint(), List.of("gpt-*", "Qwen/*-AWQ"));

        assertTrue(key.allows("gpt-4o"));
        assertTrue(key.allows("Qwen/Qwen2.5-72B-Instruct-AWQ"));
        assertFalse(key.allows("Qwen/Qwen2.5-72B-Instruct"));
        assertFalse(key.allows("xgpt-4o"));
        assertTrue(key(KeySecret.mint(), List.of()).allows("anything"));
        assertTrue(ModelGlob.matches("*", ""));
        assertFalse(ModelGlob.matches("a*b", "ab-"));

        final Instant now = Instant.parse("2026-12-01T00:00:00Z");
        final ApiKey expiring = new ApiKey(key.id(), key.name(), key.salt(), key.secretDigest(), key.models(), null,
                null, null, Priority.LOW, now.getEpochSecond() + 1, false, 0);
        assertTrue(expiring.usableAt(now));
        assertFalse(expiring.usableAt(now.plusSeconds(1)));
        assertFalse(key.revoke().usableAt(now));
    }

    private static ApiKey key(final KeySecret.Minted minted, final List<String> models) {
        return new ApiKey(minted.id(), "team-a", minted.salt(), minted.digest(), models, 30, 10_000, 4,
                Priority.NORMAL, null, false, 1_796_000_000L);
    }
}
