package io.llmgw.runtime;

import java.util.Map;

/** The checks behind {@code GET /ready}: each named condition and whether it holds now. */
@FunctionalInterface
public interface Readiness {

    Map<String, Boolean> checks();

    default boolean isReady() {
        return checks().values().stream().allMatch(Boolean::booleanValue);
    }
}
