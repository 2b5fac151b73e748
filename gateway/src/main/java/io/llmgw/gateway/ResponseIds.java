package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The ids a Responses API client sees. The gateway mints them, not the host: {@code resp_<hex>} for the request
 * {@code req_<hex>} (its {@code X-Request-Id} and Kafka key), so that any gateway instance finds a response from its
 * id alone, and a background response has its id before any host has seen it. The host's own {@code id} in a
 * response object is replaced by it (and kept as {@code upstream_id}).
 */
final class ResponseIds {

    static final String PREFIX = "resp_";
    static final String UPSTREAM_ID = "upstream_id";
    private static final String REQUEST_PREFIX = "req_";

    private ResponseIds() {
    }

    /** The response id of request {@code requestId}. */
    static String of(final String requestId) {
        return PREFIX + (requestId.startsWith(REQUEST_PREFIX) ? requestId.substring(REQUEST_PREFIX.length())
                : requestId);
    }

    /** The request behind response id {@code responseId}, or null when it is not one of ours. */
    static String requestOf(final String responseId) {
        if (responseId == null || !responseId.startsWith(PREFIX) || responseId.length() == PREFIX.length()) {
            return null;
        }
        return REQUEST_PREFIX + responseId.substring(PREFIX.length());
    }

    /** A copy of the host's response object with our id (the host's kept as {@link #UPSTREAM_ID}). */
    static JsonNode rewritten(final JsonNode response, final String requestId) {
        if (!(response instanceof ObjectNode object)) {
            return response;
        }
        final ObjectNode copy = object.deepCopy();
        final String ours = of(requestId);
        final JsonNode hosts = copy.get("id");
        if (hosts != null && hosts.isTextual() && !hosts.asText().equals(ours)) {
            copy.put(UPSTREAM_ID, hosts.asText());
        }
        copy.put("id", ours);
        return copy;
    }
}
