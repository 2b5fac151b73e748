package io.llmgw.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BearerAuthTest {

    private final BearerAuth auth = new BearerAuth(Set.of("sk-one", "sk-two"));

    @Test
    void shouldAllowWithAKeyIdWhenTheKeyIsConfigured() {
        final var allowed = assertInstanceOf(BearerAuth.Outcome.Allowed.class, auth.check("Bearer sk-two"));

        assertEquals(BearerAuth.keyId("sk-two"), allowed.keyId());
        assertTrue(allowed.keyId().startsWith("key_"));
        assertFalse(allowed.keyId().contains("sk-two"));
    }

    @Test
    void shouldAcceptAnyCaseOfTheSchemeWhenTheKeyIsRight() {
        assertInstanceOf(BearerAuth.Outcome.Allowed.class, auth.check("bearer  sk-one "));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "Bearer", "Bearer ", "Basic c2stb25lOg==", "sk-one", "Bearer sk-three",
            "Bearer sk-one-and-more"})
    void shouldDenyWith401WhenTheKeyIsMissingOrWrong(final String header) {
        final var denied = assertInstanceOf(BearerAuth.Outcome.Denied.class, auth.check(header));

        assertEquals(401, denied.error().status());
        assertEquals("invalid_api_key", denied.error().code());
    }

    @Test
    void shouldAllowAnyCallerWhenNoKeysAreConfigured() {
        final BearerAuth open = new BearerAuth(Set.of());

        assertFalse(open.enforced());
        assertNull(assertInstanceOf(BearerAuth.Outcome.Allowed.class, open.check(null)).keyId());
        assertEquals(BearerAuth.keyId("anything"),
                assertInstanceOf(BearerAuth.Outcome.Allowed.class, open.check("Bearer anything")).keyId());
    }

    @Test
    void shouldGiveDifferentKeysDifferentIdsWhenHashed() {
        assertNotEquals(BearerAuth.keyId("sk-one"), BearerAuth.keyId("sk-two"));
        assertEquals(16, BearerAuth.keyId("sk-one").length());
    }
}
