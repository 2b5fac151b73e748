package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.ApiError;
import okhttp3.sse.EventSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

/**
 * Reads a Responses API stream ({@code POST /v1/responses} with {@code stream: true}): typed events
 * ({@code event: response.created} / {@code data: {"type": "response.created", "sequence_number": 0, ...}}), no
 * {@code [DONE]}. Every event is relayed as one chunk, its data as the host sent it (the event name is the data's
 * {@code type}; a host that names the event only in the {@code event:} line gets it copied into {@code type}). The
 * stream ends after {@code response.completed}, {@code response.incomplete} or {@code response.failed} (relayed,
 * then complete: the host's own verdict, which the client reads as the host wrote it); an {@code error} event, or a
 * vLLM-style {@code {"error": {...}}} data event, ends it as a failure. Threads: as {@link SseReader}.
 */
final class ResponsesStreamReader extends SseReader {

    /** The events after which a Responses stream has nothing more to say. */
    static final Set<String> FINAL_EVENTS = Set.of("response.completed", "response.incomplete", "response.failed");

    ResponsesStreamReader(final ListenerGate gate, final String host) {
        super(gate, host);
    }

    @Override
    public void onEvent(final EventSource source, final String id, final String type, final String data) {
        if (gate.isFinished()) {
            return;
        }
        final JsonNode parsed = OkHttpUpstreamClient.parseObject(data.getBytes(StandardCharsets.UTF_8));
        if (!(parsed instanceof ObjectNode event)) {
            gate.fail(UpstreamFailure.badGateway("the LLM host sent a Responses event that is not a JSON object: "
                    + OkHttpUpstreamClient.abbreviate(data)));
            source.cancel();
            return;
        }
        if (!event.path("type").isTextual() && type != null && !type.isBlank()) {
            event.put("type", type);
        }
        final String name = event.path("type").asText("");
        if (name.equals("error") || !name.startsWith("response.") && event.path("error").isObject()) {
            gate.fail(new UpstreamFailure(errorOf(event), false, Duration.ZERO));
            source.cancel();
            return;
        }
        sawChunk = true;
        gate.chunk(event);
        if (FINAL_EVENTS.contains(name)) {
            gate.complete(null);
            source.cancel();
        }
    }

    @Override
    public void onClosed(final EventSource source) {
        endedEarly();
    }

    /**
     * The failure an error event reports: OpenAI's shape ({@code {"type": "error", "code", "message", "param"}}) or
     * vLLM's ({@code {"error": {...}}}).
     */
    static ApiError errorOf(final JsonNode event) {
        if (event.path("error").isObject()) {
            return ApiError.fromBody(502, event, "the LLM host reported an error mid-stream");
        }
        return new ApiError(502, event.path("message").asText("the LLM host reported an error mid-stream"),
                "upstream_error", textOrNull(event.get("param")), textOrNull(event.get("code")));
    }

    private static String textOrNull(final JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
