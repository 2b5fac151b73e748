package io.llmgw.processors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Endpoint;
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

/**
 * {@link UpstreamClient} over OkHttp: streams through okhttp-sse (read by {@link ChatStreamReader}, or by
 * {@link ResponsesStreamReader} for the Responses API's typed events), plain answers through {@link Call#enqueue}.
 *
 * <p>The body goes upstream as the client wrote it (every unknown field, exact numbers), except {@code model} when the
 * spec names an upstream model. The model's token is sent as the bearer token, never the client's key.
 */
public final class OkHttpUpstreamClient implements UpstreamClient, AutoCloseable {

    private static final MediaType JSON = MediaType.get("application/json");
    /** An error body longer than this is someone's HTML page, not an OpenAI error worth reading in full. */
    private static final long MAX_ERROR_BODY = 64 * 1024;
    /**
     * Idle connections kept for the next calls. OkHttp's pool walks every connection it holds each time a call ends,
     * so a pool sized to the concurrency kept a burst's connections (the benchmark's 2,000 streams) for five minutes
     * and made every later call pay for a walk over them: 9 % of the worker node's CPU at 500 requests/s. A host's
     * own concurrency (vLLM's 256 sequences by default) needs no more than this many warm connections.
     */
    static final int MAX_IDLE_CONNECTIONS = 256;

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
     * <p>No read timeout: the scheduler enforces the model's first-token, idle and total timeouts and cancels the call,
     * which closes its socket. A read timeout would be a second, redundant clock on every read of every stream: okio
     * puts each timed read into one watchdog queue shared by all calls (with 1,000 streams, a heap of 1,000 entries
     * re-sorted 20,000 times a second) and the socket read parks with a timer. At 1,000 concurrent streams that was
     * about a tenth of the stream readers' CPU. A non-streaming call keeps one clock per call, {@code callTimeout};
     * okhttp-sse lifts it once a stream's response has begun, so it never cuts a long stream.
     *
     * @param callTimeout how long a non-streaming call (or a stream until its response headers) may take before OkHttp
     *                    gives up: a safety net only, so make it longer than the model's own timeouts
     */
    public static OkHttpUpstreamClient create(final int maxConcurrentCalls, final Duration callTimeout) {
        final int limit = Math.max(64, maxConcurrentCalls);
        final Dispatcher dispatcher = new Dispatcher(Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("llmgw-upstream-", 0).factory()));
        dispatcher.setMaxRequests(limit);
        dispatcher.setMaxRequestsPerHost(limit);
        return new OkHttpUpstreamClient(new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(Math.min(limit, MAX_IDLE_CONNECTIONS), 5, TimeUnit.MINUTES))
                .connectTimeout(Duration.ofSeconds(10))
                .writeTimeout(Duration.ofSeconds(30))
                .readTimeout(Duration.ZERO)
                .callTimeout(callTimeout)
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
            final EventSourceListener reader = request.endpoint() == Endpoint.RESPONSES
                    ? new ResponsesStreamReader(gate, model.baseUrl())
                    : new ChatStreamReader(gate, model.baseUrl());
            final EventSource source = sse.newEventSource(httpRequest, reader);
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

    static UpstreamFailure failureOf(final Response response) {
        return UpstreamFailure.fromStatus(response.code(), errorBody(response), response.header("Retry-After"),
                Instant.now());
    }

    static JsonNode errorBody(final Response response) {
        try {
            return parseObject(response.peekBody(MAX_ERROR_BODY).bytes());
        } catch (final IOException e) {
            return null;
        }
    }

    static JsonNode parseObject(final byte[] bytes) {
        try {
            final JsonNode node = Json.MAPPER.readTree(bytes);
            return node != null && node.isObject() ? node : null;
        } catch (final IOException e) {
            return null;
        }
    }

    static String describe(final Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    static String abbreviate(final String text) {
        final String oneLine = text.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= 120 ? oneLine : oneLine.substring(0, 120) + "...";
    }
}
