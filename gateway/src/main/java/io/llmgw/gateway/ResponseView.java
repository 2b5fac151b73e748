package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;

/**
 * A Responses API {@code response} object for a request the gateway knows, as {@code GET /v1/responses/{id}} and a
 * background create answer it: the host's own object (with the gateway's id) once the host sent one, else one
 * built from the request's state. Statuses: {@code queued} (waiting for a worker), {@code in_progress},
 * {@code completed} / {@code incomplete} / {@code failed} (the host's), {@code cancelled}, and {@code failed} with
 * the error for a request the gateway or a worker ended (deadline, host unreachable, ...).
 */
final class ResponseView {

    static final String OBJECT = "response";

    private ResponseView() {
    }

    /** The answer to a background create: nothing has run yet. */
    static ObjectNode queued(final String requestId, final String model, final long createdAtMs) {
        return skeleton(requestId, model, createdAtMs, "queued", true, null);
    }

    static ObjectNode of(final RequestState state) {
        final String status = statusOf(state);
        if (state.response() != null && state.response().isObject()) {
            final ObjectNode response = (ObjectNode) ResponseIds.rewritten(state.response(), state.id());
            if (state.status() == RequestStatus.CANCELLED) {
                response.put("status", status);
            }
            response.put("background", state.detached());
            return response;
        }
        final ObjectNode error = state.error() == null || state.status() == RequestStatus.CANCELLED ? null
                : Json.object()
                .put("code", state.error().path("code").asText(state.error().path("type").asText("server_error")))
                .put("message", state.error().path("message").asText(""));
        return skeleton(state.id(), state.model(), state.createdAtMs(), status, state.detached(), error);
    }

    /** The status a client reads; the host's own once it sent its final response object. */
    static String statusOf(final RequestState state) {
        return switch (state.status()) {
            case QUEUED -> "queued";
            case RUNNING -> "in_progress";
            case COMPLETED -> state.response() != null && state.response().path("status").isTextual()
                    ? state.response().get("status").asText() : "completed";
            case CANCELLED -> "cancelled";
            case FAILED, EXPIRED -> "failed";
        };
    }

    private static ObjectNode skeleton(final String requestId, final String model, final long createdAtMs,
                                       final String status, final boolean background, final JsonNode error) {
        final ObjectNode response = Json.object()
                .put("id", ResponseIds.of(requestId))
                .put("object", OBJECT)
                .put("created_at", createdAtMs / 1000)
                .put("status", status)
                .put("background", background);
        response.set("error", error == null ? Json.MAPPER.nullNode() : error);
        response.putNull("incomplete_details");
        response.putNull("instructions");
        response.putObject("metadata");
        response.put("model", model);
        response.putArray("output");
        response.put("parallel_tool_calls", true);
        response.putNull("temperature");
        response.put("tool_choice", "auto");
        response.putArray("tools");
        response.putNull("top_p");
        response.putNull("usage");
        return response;
    }
}
