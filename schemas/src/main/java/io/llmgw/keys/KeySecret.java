package io.llmgw.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The secrets of managed keys: {@code sk-llmgw-<id>-<43 characters>}, 256 random bits after the id. Only a salted
 * SHA-256 digest is kept. A fast digest is right here, unlike for passwords: a secret of 256 random bits cannot be
 * guessed however fast each guess is, and a slow hash would cost every request. The id in front lets a gateway find
 * the one key to compare with; the comparison is constant-time.
 */
public final class KeySecret {

    static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
    private static final Pattern SECRET = Pattern.compile("sk-llmgw-([0-9a-f]{16})-[A-Za-z0-9_-]{43}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A new key's id, salt and secret; the secret is shown once and never stored. */
    public record Minted(String id, String salt, String secret) {

        public String digest() {
            return KeySecret.digest(salt, secret);
        }

        @Override
        public String toString() {
            return "Minted[id=" + id + "]"; // never the secret in a log line
        }
    }

    private KeySecret() {
    }

    public static Minted mint() {
        final String id = HexFormat.of().formatHex(random(8));
        final String secret = "sk-llmgw-" + id + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(random(32));
        return new Minted(id, HexFormat.of().formatHex(random(16)), secret);
    }

    /** The key id a presented secret claims, if it has the shape of one of ours. */
    public static Optional<String> idOf(final String secret) {
        final Matcher matcher = SECRET.matcher(secret);
        return matcher.matches() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    /** Whether {@code secret} is the key's, compared in constant time. */
    public static boolean matches(final ApiKey key, final String secret) {
        return MessageDigest.isEqual(digest(key.salt(), secret).getBytes(StandardCharsets.US_ASCII),
                key.secretDigest().getBytes(StandardCharsets.US_ASCII));
    }

    static String digest(final String salt, final String secret) {
        try {
            final MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(HexFormat.of().parseHex(salt));
            return HexFormat.of().formatHex(sha.digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static byte[] random(final int bytes) {
        final byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return value;
    }
}
