package io.llmgw.processors;

import io.llmgw.schemas.RequestEnvelope;

/**
 * Starts calls to LLM hosts without blocking the caller. The worker's processor depends on this interface; the
 * implementation is {@link OkHttpUpstreamClient}, and tests may pass a fake.
 */
public interface UpstreamClient {

    /**
     * Starts the request on the model's host and returns at once. Results arrive on {@code listener} from another
     * thread; a problem with the request itself is reported there too, never thrown.
     */
    UpstreamCall start(RequestEnvelope request, ModelSpec model, UpstreamListener listener);
}
