package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code previous_response_id} for the host: clients only ever see the gateway's response ids, but the host keeps a
 * conversation under its own. A {@code previous_response_id} naming a response this deployment answered (and that the
 * caller may see) is replaced by the host's id of it ({@code upstream_id}); any other id reaches the host unchanged
 * (it may be one the host minted, or it is the host's to refuse). Stateless; called from many handler threads.
 */
final class PreviousResponses {

    static final String FIELD = "previous_response_id";

    private final RequestDirectory directory;

    PreviousResponses(final RequestDirectory directory) {
        this.directory = directory;
    }

    /** {@code body}, or a copy whose {@code previous_response_id} is the host's id of that response. */
    ObjectNode resolve(final ObjectNode body, final String keyId, final String authorization) {
        final JsonNode previous = body.get(FIELD);
        final String requestId = previous != null && previous.isTextual()
                ? ResponseIds.requestOf(previous.asText()) : null;
        if (requestId == null) {
            return body;
        }
        if (!(directory.find(requestId, authorization) instanceof RequestDirectory.Lookup.Found found)) {
            return body;
        }
        final RequestState state = found.state();
        final JsonNode hostsId = state.response() == null ? null : state.response().get("id");
        final boolean visible = state.keyId() == null || state.keyId().equals(keyId);
        if (!visible || hostsId == null || !hostsId.isTextual()) {
            return body;
        }
        final ObjectNode copy = body.deepCopy();
        copy.put(FIELD, hostsId.asText());
        return copy;
    }
}
