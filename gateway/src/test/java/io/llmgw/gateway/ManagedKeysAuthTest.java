package io.llmgw.gateway;

import io.llmgw.keys.KeySecret;
import io.llmgw.schemas.Priority;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManagedKeysAuthTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    private final FakeKeys keys = new FakeKeys();
    private final BearerAuth auth = new BearerAuth(Set.of("sk-static"), keys, Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void shouldLetAManagedKeyInWithItsGrantAndAnIdThatIsNotTheSecret() {
        final String secret = keys.create("team-a", List.of("gpt-*"), Priority.NORMAL, null);

        final var allowed = assertInstanceOf(BearerAuth.Outcome.Allowed.class, auth.check("Bearer " + secret));

        assertEquals("key_" + KeySecret.idOf(secret).orElseThrow(), allowed.keyId());
        assertFalse(allowed.keyId().contains(secret.substring(secret.length() - 43)), "no secret part in the id");
        assertTrue(allowed.allows("gpt-4o-mini"));
        assertFalse(allowed.allows("Qwen/Qwen2.5-72B-Instruct-AWQ"));
    }

    @Test
    void shouldDenyWith401WhenAManagedSecretIsWrongRevokedOrExpired() {
        final String secret = keys.create("team-a", List.of(), null, null);
        final String tampered = secret.substring(0, secret.length() - 1) + (secret.endsWith("A") ? "B" : "A");
        final String unknown = KeySecret.mint().secret();
        final String expired = keys.create("team-old", List.of(), null, NOW.getEpochSecond());

        assertDenied(auth.check("Bearer " + tampered), "Incorrect API key provided.");
        assertDenied(auth.check("Bearer " + unknown), "Incorrect API key provided.");
        assertDenied(auth.check("Bearer " + expired), "This API key has expired.");
        keys.revoke(secret);
        assertDenied(auth.check("Bearer " + secret), "This API key has been revoked.");
    }

    @Test
    void shouldKeepStaticKeysWorkingBesideManagedOnesWithoutRestrictions() {
        keys.create("team-a", List.of("gpt-*"), Priority.LOW, null);

        final var allowed = assertInstanceOf(BearerAuth.Outcome.Allowed.class, auth.check("Bearer sk-static"));

        assertTrue(allowed.allows("anything/at-all"));
        assertEquals(Priority.HIGH, allowed.priority(Optional.of(Priority.HIGH)));
    }

    @Test
    void shouldEnforceKeysOnceAnyManagedKeyExistsEvenWhenTheLastOneIsRevoked() {
        final BearerAuth noStatic = new BearerAuth(Set.of(), keys, Clock.fixed(NOW, ZoneOffset.UTC));
        assertFalse(noStatic.enforced(), "no key anywhere yet: open, as before");

        final String secret = keys.create("only", List.of(), null, null);
        keys.revoke(secret);

        assertTrue(noStatic.enforced());
        assertDenied(noStatic.check(null), "You didn't provide an API key.");
    }

    @Test
    void shouldAnswer503NotLetEveryoneInWhileTheKeysAreStillLoading() {
        final BearerAuth noStatic = new BearerAuth(Set.of(), keys, Clock.fixed(NOW, ZoneOffset.UTC));
        keys.loaded(false);

        final var denied = assertInstanceOf(BearerAuth.Outcome.Denied.class, noStatic.check(null));

        assertEquals(503, denied.error().status());
        assertInstanceOf(BearerAuth.Outcome.Allowed.class, auth.check("Bearer sk-static"), "static keys need no table");
    }

    @Test
    void shouldGiveTheKeysPriorityAndLetXPriorityLowerItButNeverRaiseIt() {
        final String normal = keys.create("normal", List.of(), Priority.NORMAL, null);
        final String low = keys.create("low", List.of(), Priority.LOW, null);
        final var normalKey = assertInstanceOf(BearerAuth.Outcome.Allowed.class, auth.check("Bearer " + normal));
        final var lowKey = assertInstanceOf(BearerAuth.Outcome.Allowed.class, auth.check("Bearer " + low));

        assertEquals(Priority.NORMAL, normalKey.priority(Optional.empty()));
        assertEquals(Priority.LOW, normalKey.priority(Optional.of(Priority.LOW)));
        assertEquals(Priority.NORMAL, normalKey.priority(Optional.of(Priority.HIGH)));
        assertEquals(Priority.LOW, lowKey.priority(Optional.empty()));
        assertEquals(Priority.LOW, lowKey.priority(Optional.of(Priority.HIGH)));
    }

    private static void assertDenied(final BearerAuth.Outcome outcome, final String messageStart) {
        final var denied = assertInstanceOf(BearerAuth.Outcome.Denied.class, outcome);
        assertEquals(401, denied.error().status());
        assertTrue(denied.error().message().startsWith(messageStart), denied.error().message());
    }
}
