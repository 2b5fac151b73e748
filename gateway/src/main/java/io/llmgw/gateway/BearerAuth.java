package io.llmgw.gateway;

import io.llmgw.keys.ApiKey;
import io.llmgw.keys.KeySecret;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Priority;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks the {@code Authorization: Bearer <key>} header against the static keys ({@code GATEWAY_API_KEYS}, no
 * limits) and the managed ones ({@link KeyTable}, from {@code ./llmgw keys}). With neither, every caller is let in
 * (the gateway logs a warning at start-up); once any managed key exists, revoked ones included, every call needs a
 * key. Until the managed keys are loaded, only static keys get in; the rest get 503, never an open door.
 *
 * <p>Static keys are compared by their SHA-256 digests with {@link MessageDigest#isEqual}, managed ones by their
 * salted digests ({@link KeySecret#matches}), so the time a check takes does not tell an attacker how much of a
 * guessed key was right. Thread-safe: it holds no state of its own beyond the static digests.
 */
public final class BearerAuth {

    /** What a check decided. */
    public sealed interface Outcome {

        /**
         * Let in; {@code keyId} is a short non-secret id of the presented key (null when there was none), and
         * {@code key} the managed key's grant, or null for a static key or an open gateway (no restrictions).
         */
        record Allowed(String keyId, ApiKey key) implements Outcome {

            /** Whether the key may see and call {@code model}. */
            public boolean allows(final String model) {
                return key == null || key.allows(model);
            }

            /**
             * The priority a request gets: the key's own (normal without a key), or a lower one the caller asked for
             * with {@code X-Priority}; asking for more than the key's is not an error, it is capped.
             */
            public Priority priority(final Optional<Priority> asked) {
                final Priority cap = key == null ? Priority.NORMAL : key.priorityOrDefault();
                if (key == null) {
                    return asked.orElse(cap);
                }
                return asked.filter(wanted -> wanted.ordinal() > cap.ordinal()).orElse(cap);
            }
        }

        record Denied(ApiError error) implements Outcome {
        }
    }

    private static final String BEARER = "bearer ";

    private final List<byte[]> keyDigests;
    private final KeyTable managed;
    private final Clock clock;

    public BearerAuth(final Set<String> apiKeys) {
        this(apiKeys, null, Clock.systemUTC());
    }

    BearerAuth(final Set<String> apiKeys, final KeyTable managed, final Clock clock) {
        this.keyDigests = apiKeys.stream().map(BearerAuth::sha256).toList();
        this.managed = managed;
        this.clock = clock;
    }

    public boolean enforced() {
        return !keyDigests.isEmpty() || managed != null && (!managed.isLoaded() || managed.anyKey());
    }

    public Outcome check(final String authorizationHeader) {
        final String key = bearerKey(authorizationHeader);
        if (!enforced()) {
            return new Outcome.Allowed(key == null ? null : keyId(key), null);
        }
        final boolean keysLoading = managed != null && !managed.isLoaded();
        if (key == null) {
            return keysLoading ? loading() : new Outcome.Denied(ApiError.unauthorized("You didn't provide an API key."
                    + " You need to provide your API key in an Authorization header using Bearer auth (i.e."
                    + " Authorization: Bearer YOUR_KEY)."));
        }
        final Optional<String> managedId = managed == null ? Optional.empty() : KeySecret.idOf(key);
        if (managedId.isPresent()) {
            return keysLoading ? loading() : checkManaged(managedId.get(), key);
        }
        final byte[] presented = sha256(key);
        boolean known = false;
        for (final byte[] digest : keyDigests) {
            // no early exit: every configured key is compared, whichever matches
            known |= MessageDigest.isEqual(digest, presented);
        }
        if (known) {
            return new Outcome.Allowed(keyId(key), null);
        }
        return keysLoading ? loading() : incorrect();
    }

    private Outcome checkManaged(final String id, final String secret) {
        final Optional<ApiKey> found = managed.byId(id).filter(candidate -> KeySecret.matches(candidate, secret));
        if (found.isEmpty()) {
            return incorrect();
        }
        final ApiKey key = found.get();
        if (key.revoked()) {
            return new Outcome.Denied(ApiError.unauthorized("This API key has been revoked."));
        }
        if (!key.usableAt(clock.instant())) {
            return new Outcome.Denied(ApiError.unauthorized("This API key has expired."));
        }
        return new Outcome.Allowed("key_" + key.id(), key);
    }

    private static Outcome incorrect() {
        return new Outcome.Denied(ApiError.unauthorized("Incorrect API key provided."));
    }

    private static Outcome loading() {
        return new Outcome.Denied(ApiError.unavailable("The gateway is still loading its API keys; try again shortly."));
    }

    /**
     * A short id of a key for logs and envelopes: {@code key_} and the first 12 hex digits of its SHA-256. It tells
     * callers apart without being usable as the key.
     */
    public static String keyId(final String key) {
        return "key_" + HexFormat.of().formatHex(sha256(key), 0, 6);
    }

    private static String bearerKey(final String header) {
        if (header == null) {
            return null;
        }
        final String value = header.strip();
        if (value.length() <= BEARER.length() || !value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        final String key = value.substring(BEARER.length()).strip();
        return key.isEmpty() ? null : key;
    }

    private static byte[] sha256(final String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
