package io.llmgw.processors;

import io.llmgw.schemas.RequestEnvelope;

/**
 * What the in-flight store holds per started and unfinished request: enough for another worker to resume it.
 *
 * @param request       the envelope; its {@link RequestEnvelope#attempt()} is the attempt whose events the gateway
 *                      may already have
 * @param streamStarted whether a chunk of that attempt was forwarded (then it cannot be re-run unseen)
 */
public record InFlightEntry(RequestEnvelope request, boolean streamStarted) {

    InFlightEntry withStreamStarted() {
        return new InFlightEntry(request, true);
    }
}
