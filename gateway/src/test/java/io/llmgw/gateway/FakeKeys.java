package io.llmgw.gateway;

import io.llmgw.keys.ApiKey;
import io.llmgw.keys.KeySecret;
import io.llmgw.schemas.Priority;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Managed keys for tests: minted here, so a test holds the secrets as a client would. */
final class FakeKeys implements KeyTable {

    private final Map<String, ApiKey> byId = new ConcurrentHashMap<>();
    private volatile boolean loaded = true;

    /** Creates a key and returns its secret. */
    String create(final String name, final List<String> models, final Priority priority, final Long expiresAt) {
        final KeySecret.Minted minted = KeySecret.mint();
        byId.put(minted.id(), new ApiKey(minted.id(), name, minted.salt(), minted.digest(), models, null, null, null,
                priority, expiresAt, false, 0));
        return minted.secret();
    }

    /** Creates a key with limits (any of them null) and returns its secret. */
    String createLimited(final String name, final Integer rpm, final Integer tpm, final Integer maxConcurrent) {
        final KeySecret.Minted minted = KeySecret.mint();
        byId.put(minted.id(), new ApiKey(minted.id(), name, minted.salt(), minted.digest(), List.of(), rpm, tpm,
                maxConcurrent, null, null, false, 0));
        return minted.secret();
    }

    void revoke(final String secret) {
        final String id = KeySecret.idOf(secret).orElseThrow();
        byId.computeIfPresent(id, (ignored, key) -> key.revoke());
    }

    void loaded(final boolean value) {
        loaded = value;
    }

    @Override
    public Optional<ApiKey> byId(final String id) {
        return Optional.ofNullable(byId.get(id));
    }

    @Override
    public boolean anyKey() {
        return !byId.isEmpty();
    }

    @Override
    public boolean isLoaded() {
        return loaded;
    }
}
