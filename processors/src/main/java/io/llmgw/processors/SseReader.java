package io.llmgw.processors;

import io.llmgw.schemas.ApiError;
import okhttp3.Response;
import okhttp3.sse.EventSource;
import okhttp3.sse.EventSourceListener;

import java.io.IOException;
import java.time.Duration;

/**
 * What every upstream SSE reader does alike: the ways a stream fails before or while it is read (an error status, a
 * cut connection, a 2xx that is not an event stream). Subclasses read the events of one API's stream format.
 *
 * <p>Threads: OkHttp's call thread for this stream calls every method, one at a time; {@link #sawChunk} is that
 * thread's alone.
 */
abstract class SseReader extends EventSourceListener {

    protected final ListenerGate gate;
    protected final String host;
    protected boolean sawChunk;

    SseReader(final ListenerGate gate, final String host) {
        this.gate = gate;
        this.host = host;
    }

    @Override
    public final void onFailure(final EventSource source, final Throwable t, final Response response) {
        if (gate.isFinished()) {
            return;
        }
        if (response != null && !response.isSuccessful()) {
            gate.fail(OkHttpUpstreamClient.failureOf(response));
        } else if (t instanceof IOException) {
            gate.fail(sawChunk
                    ? UpstreamFailure.badGateway("upstream stream was cut: " + OkHttpUpstreamClient.describe(t))
                    : UpstreamFailure.unreachable("cannot reach the LLM host at " + host + ": "
                    + OkHttpUpstreamClient.describe(t)));
        } else if (response != null) {
            // okhttp-sse refuses a 2xx that is not text/event-stream; the body may still say what went wrong.
            gate.fail(new UpstreamFailure(ApiError.fromBody(502, OkHttpUpstreamClient.errorBody(response),
                    "the LLM host answered a streaming request with Content-Type "
                            + response.header("Content-Type") + " instead of text/event-stream"),
                    false, Duration.ZERO));
        } else {
            gate.fail(UpstreamFailure.badGateway("the call to the LLM host failed: "
                    + OkHttpUpstreamClient.describe(t)));
        }
    }

    /** The end of a stream that did not end properly (the subclass saw no end event). */
    protected final void endedEarly() {
        if (sawChunk) {
            gate.fail(UpstreamFailure.badGateway("upstream stream ended early"));
        } else {
            gate.fail(UpstreamFailure.unreachable("the LLM host ended the stream before sending anything"));
        }
    }
}
