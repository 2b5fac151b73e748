package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;

/**
 * Chat and completions streams, as the OpenAI SDKs read them: {@code data: <chunk>} events with the event's seq as
 * {@code id:}, ended by {@code data: [DONE]}, or by {@code data: {"error": {...}}} and then {@code data: [DONE]}.
 * The JSON answer is the host's completion object unchanged.
 */
final class CompletionChunks implements ReplyWriter {

    static final ReplyWriter.Format FORMAT = new ReplyWriter.Format() {
        @Override
        public JsonNode completion(final String requestId, final JsonNode data) {
            return data;
        }

        @Override
        public ReplyWriter open(final SseStream stream, final String requestId) {
            return new CompletionChunks(stream);
        }
    };

    private final SseStream stream;

    private CompletionChunks(final SseStream stream) {
        this.stream = stream;
    }

    @Override
    public void chunk(final long seq, final JsonNode data) throws IOException {
        stream.data(seq, data);
    }

    @Override
    public void end(final long seq) throws IOException {
        stream.done(seq);
    }

    @Override
    public void fail(final long seq, final JsonNode body) throws IOException {
        stream.data(seq, body);
        stream.done(Reply.NO_SEQ);
    }

    @Override
    public void keepAlive() throws IOException {
        stream.keepAlive();
    }
}
