package io.llmgw.processors;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.RawJsonNode;

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
        final byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        final ChunkScan scan = ChunkScan.of(bytes);
        if (!scan.object()) {
            gate.fail(UpstreamFailure.badGateway("the LLM host sent a stream chunk that is not a JSON object: "
                    + OkHttpUpstreamClient.abbreviate(data)));
            source.cancel();
            return;
        }
        if (scan.error()) {
            // vLLM reports a failure mid-stream as a data event with an error object, then ends the stream.
            gate.fail(new UpstreamFailure(ApiError.fromBody(502, OkHttpUpstreamClient.parseObject(bytes),
                    "the LLM host reported an error mid-stream"), false, Duration.ZERO));
            source.cancel();
            return;
        }
        if (scan.finished() != null) {
            lastChoicesFinished = scan.finished();
        }
        sawChunk = true;
        // relayed as the host wrote it: nothing in the worker reads a chunk's fields
        gate.chunk(new RawJsonNode(data, scan.usage()));
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
