package io.llmgw.processors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.sse.EventSource;
import okhttp3.sse.EventSourceListener;
import okhttp3.sse.EventSources;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link UpstreamClient} over OkHttp: streams through okhttp-sse, plain completions through {@link Call#enqueue}.
 *
 * <p>The body goes upstream as the client wrote it (every unknown field, exact numbers), except {@code model} when the
 * spec names an upstream model. The model's token is sent as the bearer token, never the client's key.
 */
public final class OkHttpUpstreamClient implements UpstreamClient, AutoCloseable {

    private static final MediaType JSON = MediaType.get("application/json");
    /** An error body longer than this is someone's HTML page, not an OpenAI error worth reading in full. */
    private static final long MAX_ERROR_BODY = 64 * 1024;

    private final OkHttpClient http;
    private final EventSource.Factory sse;

    /** Uses {@code http} as given: its dispatcher must admit as many concurrent calls as the worker makes. */
    public OkHttpUpstreamClient(final OkHttpClient http) {
        this.http = http;
        this.sse = EventSources.createFactory(http);
    }

    /**
     * A client for up to {@code maxConcurrentCalls} calls at once. OkHttp's dispatcher queues everything beyond 5 calls
     * per host by default, which would cap a worker at 5 parallel generations; calls run on virtual threads, since each
     * stream holds its thread while it reads.
     *
     * @param stallTimeout how long a read may block before OkHttp gives up: a safety net only (the processor enforces
     *                     the real first-token, idle and total timeouts and cancels), so make it longer than those
     */
    public static OkHttpUpstreamClient create(final int maxConcurrentCalls, final Duration stallTimeout) {
        final int limit = Math.max(64, maxConcurrentCalls);
        final Dispatcher dispatcher = new Dispatcher(Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("llmgw-upstream-", 0).factory()));
        dispatcher.setMaxRequests(limit);
        dispatcher.setMaxRequestsPerHost(limit);
        return new OkHttpUpstreamClient(new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(limit, 5, TimeUnit.MINUTES))
                .connectTimeout(Duration.ofSeconds(10))
                .writeTimeout(Duration.ofSeconds(30))
                .readTimeout(stallTimeout)
                .build());
    }

    @Override
    public UpstreamCall start(final RequestEnvelope request, final ModelSpec model, final UpstreamListener listener) {
        final Request httpRequest;
        try {
            httpRequest = httpRequest(request, model);
        } catch (final RuntimeException | JsonProcessingException e) {
            listener.onFailure(UpstreamFailure.badGateway("cannot build the request for the LLM host: " + e.getMessage()));
            return () -> { };
        }
        final ListenerGate gate = new ListenerGate(listener);
        if (request.stream()) {
            final EventSource source = sse.newEventSource(httpRequest, new StreamReader(gate, model.baseUrl()));
            gate.onCancel(source::cancel);
        } else {
            final Call call = http.newCall(httpRequest);
            gate.onCancel(call::cancel);
            call.enqueue(new CompletionReader(gate, model.baseUrl()));
        }
        return gate;
    }

    /** HTTP calls running now (streams included), for metrics and tests. */
    public int runningCalls() {
        return http.dispatcher().runningCallsCount();
    }

    /** Stops the dispatcher's threads and drops pooled connections; calls still running are cancelled. */
    @Override
    public void close() {
        http.dispatcher().cancelAll();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    static Request httpRequest(final RequestEnvelope request, final ModelSpec model) throws JsonProcessingException {
        final Request.Builder builder = new Request.Builder()
                .url(HttpUrl.get(model.baseUrl() + "/" + request.endpoint().path()))
                .post(RequestBody.create(upstreamBody(request, model), JSON))
                .header("Accept", request.stream() ? "text/event-stream" : "application/json")
                // vLLM and most proxies log this header: lets an operator find the request on the host.
                .header("X-Request-Id", request.id());
        if (model.token() != null) {
            builder.header("Authorization", "Bearer " + model.token());
        }
        return builder.build();
    }

    static byte[] upstreamBody(final RequestEnvelope request, final ModelSpec model) throws JsonProcessingException {
        ObjectNode body = request.body();
        // a request handed over from another model's worker (fallback) names that model: ask this host for its own
        final String upstream = model.upstreamModel() != null ? model.upstreamModel()
                : model.name().equals(request.model()) ? null : model.name();
        if (upstream != null) {
            body = body.deepCopy(); // the envelope is shared with retries and the in-flight store: never mutate it
            body.put("model", upstream);
        }
        return Json.MAPPER.writeValueAsBytes(body);
    }

    /**
     * The {@link UpstreamCall} handed to the processor: lets each callback through at most once per the listener's
     * contract (one terminal outcome, nothing after it or after cancel). The lock makes "nothing after cancel()
     * returns" exact; callbacks only enqueue, so it is held for microseconds.
     */
    private static final class ListenerGate implements UpstreamCall {
        private final ReentrantLock lock = new ReentrantLock();
        private final UpstreamListener listener;
        private boolean finished;
        private volatile Runnable canceller = () -> { };

        ListenerGate(final UpstreamListener listener) {
            this.listener = listener;
        }

        void onCancel(final Runnable canceller) {
            this.canceller = canceller;
        }

        boolean isFinished() {
            lock.lock();
            try {
                return finished;
            } finally {
                lock.unlock();
            }
        }

        void chunk(final JsonNode chunk) {
            lock.lock();
            try {
                if (!finished) {
                    listener.onChunk(chunk);
                }
            } finally {
                lock.unlock();
            }
        }

        void complete(final JsonNode completion) {
            lock.lock();
            try {
                if (!finished) {
                    finished = true;
                    listener.onComplete(completion);
                }
            } finally {
                lock.unlock();
            }
        }

        void fail(final UpstreamFailure failure) {
            lock.lock();
            try {
                if (!finished) {
                    finished = true;
                    listener.onFailure(failure);
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void cancel() {
            lock.lock();
            try {
                finished = true;
            } finally {
                lock.unlock();
            }
            canceller.run();
        }
    }

    /** Reads an SSE stream: JSON chunks, {@code [DONE]}, and every way a stream can go wrong. */
    private static final class StreamReader extends EventSourceListener {
        private final ListenerGate gate;
        private final String host;
        private boolean sawChunk;
        private boolean lastChoicesFinished;

        StreamReader(final ListenerGate gate, final String host) {
            this.gate = gate;
            this.host = host;
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
            final JsonNode chunk = parseObject(data.getBytes(StandardCharsets.UTF_8));
            if (chunk == null) {
                gate.fail(UpstreamFailure.badGateway("the LLM host sent a stream chunk that is not a JSON object: "
                        + abbreviate(data)));
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
            } else if (sawChunk) {
                gate.fail(UpstreamFailure.badGateway("upstream stream ended early"));
            } else {
                gate.fail(UpstreamFailure.unreachable("the LLM host ended the stream before sending anything"));
            }
        }

        @Override
        public void onFailure(final EventSource source, final Throwable t, final Response response) {
            if (gate.isFinished()) {
                return;
            }
            if (response != null && !response.isSuccessful()) {
                gate.fail(failureOf(response));
            } else if (t instanceof IOException) {
                gate.fail(sawChunk
                        ? UpstreamFailure.badGateway("upstream stream was cut: " + describe(t))
                        : UpstreamFailure.unreachable("cannot reach the LLM host at " + host + ": " + describe(t)));
            } else if (response != null) {
                // okhttp-sse refuses a 2xx that is not text/event-stream; the body may still say what went wrong.
                gate.fail(new UpstreamFailure(ApiError.fromBody(502, errorBody(response),
                        "the LLM host answered a streaming request with Content-Type "
                                + response.header("Content-Type") + " instead of text/event-stream"),
                        false, Duration.ZERO));
            } else {
                gate.fail(UpstreamFailure.badGateway("the call to the LLM host failed: " + describe(t)));
            }
        }
    }

    /** Reads a non-streaming answer: one JSON completion object. */
    private static final class CompletionReader implements Callback {
        private final ListenerGate gate;
        private final String host;

        CompletionReader(final ListenerGate gate, final String host) {
            this.gate = gate;
            this.host = host;
        }

        @Override
        public void onFailure(final Call call, final IOException e) {
            gate.fail(UpstreamFailure.unreachable("cannot reach the LLM host at " + host + ": " + describe(e)));
        }

        @Override
        public void onResponse(final Call call, final Response response) {
            try (response) {
                if (!response.isSuccessful()) {
                    gate.fail(failureOf(response));
                    return;
                }
                final byte[] bytes;
                try {
                    bytes = response.body().bytes();
                } catch (final IOException e) {
                    // Nothing reached the client yet, so another try is as good as the first.
                    gate.fail(UpstreamFailure.unreachable("the LLM host's answer was cut: " + describe(e)));
                    return;
                }
                final JsonNode completion = parseObject(bytes);
                if (completion == null) {
                    gate.fail(UpstreamFailure.badGateway("the LLM host answered with something that is not a JSON "
                            + "object: " + abbreviate(new String(bytes, StandardCharsets.UTF_8))));
                    return;
                }
                gate.complete(completion);
            }
        }
    }

    private static UpstreamFailure failureOf(final Response response) {
        return UpstreamFailure.fromStatus(response.code(), errorBody(response), response.header("Retry-After"),
                Instant.now());
    }

    private static JsonNode errorBody(final Response response) {
        try {
            return parseObject(response.peekBody(MAX_ERROR_BODY).bytes());
        } catch (final IOException e) {
            return null;
        }
    }

    private static JsonNode parseObject(final byte[] bytes) {
        try {
            final JsonNode node = Json.MAPPER.readTree(bytes);
            return node != null && node.isObject() ? node : null;
        } catch (final IOException e) {
            return null;
        }
    }

    private static String describe(final Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static String abbreviate(final String text) {
        final String oneLine = text.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= 120 ? oneLine : oneLine.substring(0, 120) + "...";
    }
}
