package io.llmgw.gateway;

import io.llmgw.keys.ApiKey;
import io.llmgw.limits.UsageRecord;

/**
 * The name a key id stands for in usage records and metrics: a managed key's own name, {@code static} for every
 * {@code GATEWAY_API_KEYS} key, {@code none} without a key. Names, never secrets, and a bounded set: there are as many
 * as the operators created. Thread-safe: it reads the key table, whose own reader writes it.
 */
final class KeyNames {

    /** For tests and tools with no key table: every id is static, no id is none. */
    static final KeyNames STATIC = new KeyNames(null, true);

    private static final String MANAGED_PREFIX = "key_";

    private final KeyTable managed;
    private final boolean staticKeys;

    KeyNames(final KeyTable managed, final boolean staticKeys) {
        this.managed = managed;
        this.staticKeys = staticKeys;
    }

    String of(final String keyId) {
        if (keyId == null) {
            return UsageRecord.NO_KEY;
        }
        if (managed != null && keyId.startsWith(MANAGED_PREFIX)) {
            final java.util.Optional<ApiKey> key = managed.byId(keyId.substring(MANAGED_PREFIX.length()));
            if (key.isPresent()) {
                return key.get().name();
            }
        }
        // a key that is neither managed nor static is a caller's token at an open gateway: not ours to name
        return staticKeys ? UsageRecord.STATIC_KEY : UsageRecord.NO_KEY;
    }
}
