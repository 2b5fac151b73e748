package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;

/**
 * The public form of a {@link RequestState}, as {@code GET /v1/requests/{id}} answers it: OpenAI-style snake_case,
 * times in epoch seconds, and nothing about where the events are kept.
 */
final class RequestView {

    static final String OBJECT = "llmgw.request";

    private RequestView() {
    }

    static ObjectNode of(final RequestState state) {
        final ObjectNode view = Json.object();
        view.put("id", state.id());
        view.put("object", OBJECT);
        view.put("status", state.status().wireName());
        view.put("model", state.model());
        if (state.endpoint() != null) {
            view.put("endpoint", state.endpoint().wireName());
        }
        view.put("stream", state.stream());
        view.put("async", state.detached());
        view.put("created_at", seconds(state.createdAtMs()));
        if (state.deadlineMs() > 0) {
            view.put("deadline_at", seconds(state.deadlineMs()));
        }
        if (state.status().isFinal()) {
            view.put("finished_at", seconds(state.finishedAtMs()));
        }
        if (state.response() != null) {
            view.set("response", state.response());
        }
        if (state.error() != null) {
            view.put("status_code", state.httpStatus());
            view.set("error", state.error());
        }
        return view;
    }

    private static long seconds(final long epochMs) {
        return epochMs / 1000;
    }
}
