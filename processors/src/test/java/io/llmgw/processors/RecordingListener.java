package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.RawJsonNode;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Records upstream callbacks in order; tests take them with a deadline and check nothing is left over. */
final class RecordingListener implements UpstreamListener {

    record Chunk(JsonNode chunk) {
    }

    record Complete(JsonNode completion) {
    }

    record Failure(UpstreamFailure failure) {
    }

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

    @Override
    public void onChunk(final JsonNode chunk) {
        events.add(new Chunk(chunk));
    }

    @Override
    public void onComplete(final JsonNode completionOrNull) {
        events.add(new Complete(completionOrNull));
    }

    @Override
    public void onFailure(final UpstreamFailure failure) {
        events.add(new Failure(failure));
    }

    /** The next chunk as a tree (a relayed chunk is its text: {@link RawJsonNode}). */
    JsonNode takeChunk() {
        final JsonNode chunk = assertInstanceOf(Chunk.class, next()).chunk();
        return chunk instanceof RawJsonNode raw ? raw.tree() : chunk;
    }

    JsonNode takeComplete() {
        return assertInstanceOf(Complete.class, next()).completion();
    }

    UpstreamFailure takeFailure() {
        return assertInstanceOf(Failure.class, next()).failure();
    }

    /** Callbacks come in order and the terminal one is last, so anything still queued is a contract violation. */
    void assertExhausted() {
        assertNull(events.poll(), "no callback after the terminal one");
    }

    private Object next() {
        try {
            final Object event = events.poll(10, TimeUnit.SECONDS);
            if (event == null) {
                throw new AssertionError("no callback within 10 s");
            }
            return event;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
