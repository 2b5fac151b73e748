package io.llmgw.processors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/** Envelopes and model specs for tests. */
final class TestRequests {

    static final long NOW_MS = 1_700_000_000_000L;

    private TestRequests() {
    }

    static ModelSpec model(final String baseUrl) {
        return new ModelSpec("test-model", baseUrl, "model-token", null, 4, Duration.ofSeconds(10),
                Duration.ofSeconds(5), Duration.ofSeconds(60), 3, Duration.ofMillis(100));
    }

    static ObjectNode body(final String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RequestEnvelope chat(final String id, final boolean stream) {
        return chat(id, stream, NOW_MS + 300_000);
    }

    static RequestEnvelope chat(final String id, final boolean stream, final long deadlineMs) {
        return new RequestEnvelope(id, Endpoint.CHAT_COMPLETIONS, "test-model", stream,
                body("{\"model\":\"test-model\",\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
                NOW_MS, deadlineMs, 2, "gw-1", "key-1", 1, false);
    }
}
