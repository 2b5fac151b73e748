package io.llmgw.app.keys;

import io.llmgw.keys.ApiKey;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Collection;
import java.util.Locale;

/** The table {@code keys list} prints (and {@code create/update/revoke} print for the key they changed): no secrets. */
final class KeyListing {

    private static final String FORMAT = "%-24s %-16s %-28s %6s %8s %5s %-8s %-20s %s%n";

    private KeyListing() {
    }

    static void print(final Collection<ApiKey> keys, final PrintStream out) {
        out.printf(Locale.ROOT, FORMAT, "NAME", "ID", "MODELS", "RPM", "TPM", "CONC", "PRIORITY", "EXPIRES", "STATUS");
        final Instant now = Instant.now();
        for (final ApiKey key : keys) {
            out.printf(Locale.ROOT, FORMAT, key.name(), key.id(),
                    key.models().isEmpty() ? "*" : String.join(",", key.models()), orDash(key.rpm()),
                    orDash(key.tpm()), orDash(key.maxConcurrent()), key.priorityOrDefault().wireName(),
                    key.expiresAt() == null ? "-" : Instant.ofEpochSecond(key.expiresAt()).toString(),
                    key.revoked() ? "revoked" : key.usableAt(now) ? "active" : "expired");
        }
    }

    private static String orDash(final Integer value) {
        return value == null ? "-" : value.toString();
    }
}
