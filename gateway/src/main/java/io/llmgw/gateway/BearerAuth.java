package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Checks the {@code Authorization: Bearer <key>} header against the configured API keys. With no keys configured,
 * every caller is let in (the gateway logs a warning at start-up).
 *
 * <p>Keys are compared by their SHA-256 digests with {@link MessageDigest#isEqual}, so the time a check takes does
 * not tell an attacker how much of a guessed key was right.
 */
public final class BearerAuth {

    /** What a check decided. */
    public sealed interface Outcome {

        /** Let in; {@code keyId} is a short non-secret digest of the presented key, or null when there was none. */
        record Allowed(String keyId) implements Outcome {
        }

        record Denied(ApiError error) implements Outcome {
        }
    }

    private static final String BEARER = "bearer ";

    private final List<byte[]> keyDigests;

    public BearerAuth(final Set<String> apiKeys) {
        this.keyDigests = apiKeys.stream().map(BearerAuth::sha256).toList();
    }

    public boolean enforced() {
        return !keyDigests.isEmpty();
    }

    public Outcome check(final String authorizationHeader) {
        final String key = bearerKey(authorizationHeader);
        if (!enforced()) {
            return new Outcome.Allowed(key == null ? null : keyId(key));
        }
        if (key == null) {
            return new Outcome.Denied(ApiError.unauthorized("You didn't provide an API key. You need to provide your"
                    + " API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."));
        }
        final byte[] presented = sha256(key);
        boolean known = false;
        for (final byte[] digest : keyDigests) {
            // no early exit: every configured key is compared, whichever matches
            known |= MessageDigest.isEqual(digest, presented);
        }
        return known
                ? new Outcome.Allowed(keyId(key))
                : new Outcome.Denied(ApiError.unauthorized("Incorrect API key provided."));
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
