package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;
import okhttp3.sse.EventSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Reads a chat or completions SSE stream: JSON chunks, {@code [DONE]}, and every way a stream can go wrong.
 * Threads: as {@link SseReader}.
 */
final class ChatStreamReader extends SseReader {

    private boolean lastChoicesFinished;

    ChatStreamReader(final ListenerGate gate, final String host) {
        super(gate, host);
    }

    @Override
    public void onEvent(final EventSource source, final String id, final String type, final String data) {
        if (gate.isFinished()) {
            return;
        }
        if (data.strip().equals("[DONE]")) {
            gate.complete(null);
            return;
        }
        final JsonNode chunk = OkHttpUpstreamClient.parseObject(data.getBytes(StandardCharsets.UTF_8));
        if (chunk == null) {
            gate.fail(UpstreamFailure.badGateway("the LLM host sent a stream chunk that is not a JSON object: "
                    + OkHttpUpstreamClient.abbreviate(data)));
            source.cancel();
            return;
        }
        if (chunk.path("error").isObject()) {
            // vLLM reports a failure mid-stream as a data event with an error object, then ends the stream.
            gate.fail(new UpstreamFailure(ApiError.fromBody(502, chunk,
                    "the LLM host reported an error mid-stream"), false, Duration.ZERO));
            source.cancel();
            return;
        }
        final JsonNode choices = chunk.path("choices");
        if (choices.isArray() && !choices.isEmpty()) {
            lastChoicesFinished = false;
            for (final JsonNode choice : choices) {
                if (!choice.path("finish_reason").isMissingNode() && !choice.path("finish_reason").isNull()) {
                    lastChoicesFinished = true;
                }
            }
        }
        sawChunk = true;
        gate.chunk(chunk);
    }

    @Override
    public void onClosed(final EventSource source) {
        // Some hosts forget [DONE]: a stream whose last choices carried a finish_reason still finished properly.
        if (lastChoicesFinished) {
            gate.complete(null);
        } else {
            endedEarly();
        }
    }
}
