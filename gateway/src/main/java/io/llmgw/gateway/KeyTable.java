package io.llmgw.gateway;

import io.llmgw.keys.ApiKey;

import java.util.Optional;

/** The managed API keys as one gateway instance knows them ({@link KeyDirectory} reads them from Kafka). */
interface KeyTable {

    Optional<ApiKey> byId(String id);

    /** Whether any key was ever created (revoked keys included): from then on, every call needs a key. */
    boolean anyKey();

    /** Whether the table was read to its end at start: until then nobody is let in or out on its word. */
    boolean isLoaded();
}
