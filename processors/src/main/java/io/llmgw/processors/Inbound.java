package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.CancelReason;

/**
 * What other threads hand to a processor's stream thread: the outcome of an upstream call (tagged with the try it
 * belongs to, so that a late callback of a cancelled or superseded try is recognised and dropped) or a cancel.
 */
sealed interface Inbound {

    String requestId();

    record Chunk(String requestId, int tryNumber, JsonNode chunk) implements Inbound {
    }

    record Completed(String requestId, int tryNumber, JsonNode completionOrNull) implements Inbound {
    }

    record Failed(String requestId, int tryNumber, UpstreamFailure failure) implements Inbound {
    }

    record CancelRequested(String requestId, CancelReason reason) implements Inbound {
    }
}
