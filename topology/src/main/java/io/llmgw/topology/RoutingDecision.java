package io.llmgw.topology;

import io.llmgw.schemas.ResponseEvent;

/** What {@link RequestRouter} decided for one request record; {@link RouterTopology} sends each kind to its topic. */
public sealed interface RoutingDecision {

    /** Send the request, byte for byte, to its model's topic. */
    record Forward(String topic, byte[] request) implements RoutingDecision {
    }

    /** Answer the asking gateway with an error instead of routing. */
    record Reject(ResponseEvent event) implements RoutingDecision {
    }

    /** Park the original bytes on the dead-letter topic; the reason is in the record's headers. */
    record DeadLetter(byte[] original) implements RoutingDecision {
    }
}
