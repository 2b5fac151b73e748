package io.llmgw.gateway;

import io.llmgw.schemas.Endpoint;

import java.util.Optional;

/** The endpoints a batch may name, as OpenAI spells them ({@code /v1/chat/completions}, ...). */
final class BatchEndpoints {

    private BatchEndpoints() {
    }

    static Optional<Endpoint> of(final String url) {
        if (url == null) {
            return Optional.empty();
        }
        for (final Endpoint endpoint : Endpoint.values()) {
            if (url.equals("/v1/" + endpoint.path())) {
                return Optional.of(endpoint);
            }
        }
        return Optional.empty();
    }
}
