package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What an upstream call reports, on an HTTP client thread: zero or more {@link #onChunk} (streams only), then exactly
 * one of {@link #onComplete} or {@link #onFailure}, unless the call was cancelled first. Implementations must return
 * quickly: the worker's only enqueues.
 */
public interface UpstreamListener {

    /** One parsed {@code data:} object of a stream. */
    void onChunk(JsonNode chunk);

    /** {@code [DONE]} of a stream (null), or the completion object of a non-streaming request. */
    void onComplete(JsonNode completionOrNull);

    void onFailure(UpstreamFailure failure);
}
