package io.llmgw.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.simulator.InjectedFaults;
import io.llmgw.simulator.SimulatedReply;
import io.llmgw.simulator.SimulatorConfig;
import org.HdrHistogram.Histogram;

import io.llmgw.schemas.Json;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.sse.EventSource;
import okhttp3.sse.EventSourceListener;
import okhttp3.sse.EventSources;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * N concurrent streams at a fixed pace: every stream asks the simulator (through {@code x_sim}) for {@code tokens}
 * tokens at {@code tokensPerSecond}, starting immediately; the streams start spread evenly over the ramp. Measures
 * time to first token (from the stream's intended start), every gap between two content chunks (the simulator sends
 * them exactly {@code 1 / tokensPerSecond} apart, so anything above that was added on the way), and audits every
 * stream for lost, duplicated, reordered or foreign chunks ({@link ChunkAudit}).
 *
 * <p>Each stream is read on its own virtual thread, as a client would: a blocking OkHttp call whose body okhttp-sse's
 * parser reads ({@link EventSources#processResponse}), so the benchmark parses SSE the way a library does, CR/LF
 * variants and multi-line data included, instead of with a reader of its own.
 */
final class StreamLoad {

    private static final MediaType JSON = MediaType.get("application/json");

    /**
     * One streaming case.
     *
     * @param streams         how many streams run at once
     * @param tokensPerSecond the pace of each
     * @param tokens          content chunks per stream
     * @param ramp            the streams start evenly spread over this
     * @param timeout         a stream not finished this long after its start has failed
     */
    record Plan(int streams, double tokensPerSecond, int tokens, Duration ramp, Duration timeout) {

        Plan {
            if (streams < 1 || !(tokensPerSecond > 0) || tokens < 3) {
                throw new IllegalArgumentException("invalid stream plan: " + streams + " streams, " + tokensPerSecond
                        + " tokens/s, " + tokens + " tokens");
            }
        }

        double nominalGapMs() {
            return 1000.0 / tokensPerSecond;
        }
    }

    /**
     * What a streaming case measured.
     *
     * @param streams      streams started
     * @param completed    streams that ended with {@code [DONE]} and passed the audit
     * @param failures     the others, by reason
     * @param ttft         time to first content chunk, from intended start
     * @param gap          time between consecutive content chunks of a stream
     * @param nominalGapMs the gap the simulator keeps
     * @param chunks       the audit summed over all streams
     */
    record Result(int streams, long completed, Map<String, Long> failures, LatencyStats ttft, LatencyStats gap,
                  double nominalGapMs, ChunkAudit.Verdict chunks) {

        Result {
            failures = Map.copyOf(failures);
        }

        /** How much the p99 gap exceeds the simulator's pace. */
        double addedGapP99Ms() {
            return gap.p99() - nominalGapMs;
        }
    }

    private final ChatTarget target;
    private final Plan plan;
    private final SimulatorConfig simulator;
    private final Histogram ttftMicros = LatencyStats.newMicrosHistogram();
    private final Histogram gapMicros = LatencyStats.newMicrosHistogram();
    private final Map<String, Long> failures = new TreeMap<>();
    private final OkHttpClient client;
    private final Set<Call> open = ConcurrentHashMap.newKeySet();
    private long completed;
    private int expected;
    private int received;
    private int lost;
    private int duplicated;
    private int reordered;
    private int unexpected;

    private StreamLoad(final ChatTarget target, final Plan plan, final SimulatorConfig simulator,
                       final OkHttpClient client) {
        this.target = target;
        this.plan = plan;
        this.simulator = simulator;
        this.client = client;
    }

    /**
     * Runs the case against {@code target}; {@code simulator} is the simulator's configuration, from which the
     * expected tokens of every stream are computed.
     */
    static Result run(final ChatTarget target, final Plan plan, final SimulatorConfig simulator)
            throws InterruptedException {
        // a client of its own, closed after the case: idle connections left behind would load the next case
        final OkHttpClient client = new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(plan.streams(), 1, TimeUnit.MINUTES))
                .readTimeout(plan.timeout())
                .callTimeout(Duration.ZERO)
                .build();
        try {
            return new StreamLoad(target, plan, simulator, client).run();
        } finally {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
        }
    }

    private Result run() throws InterruptedException {
        final CountDownLatch finished = new CountDownLatch(plan.streams());
        final long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
        final long spacing = plan.ramp().toNanos() / plan.streams();
        for (int i = 0; i < plan.streams(); i++) {
            final int stream = i;
            final long intended = start + i * spacing;
            OpenLoop.sleepUntil(intended);
            Thread.ofVirtual().name("bench-stream-" + i).start(() -> {
                try {
                    runStream(stream, intended);
                } finally {
                    finished.countDown();
                }
            });
        }
        final long streamNanos = Math.round(plan.tokens() / plan.tokensPerSecond() * 1e9);
        if (!finished.await(streamNanos + plan.timeout().toNanos(), TimeUnit.NANOSECONDS)) {
            // unblock the readers still waiting for bytes; each records its own failure
            open.forEach(Call::cancel);
            finished.await(10, TimeUnit.SECONDS);
        }
        synchronized (this) {
            return new Result(plan.streams(), completed, failures, LatencyStats.ofMicros(ttftMicros),
                    LatencyStats.ofMicros(gapMicros), plan.nominalGapMs(),
                    new ChunkAudit.Verdict(expected, received, lost, duplicated, reordered, unexpected));
        }
    }

    private void runStream(final int stream, final long intended) {
        final ObjectNode body = body(stream);
        final ChunkAudit audit = new ChunkAudit(SimulatedReply.generate(body, simulator).tokens());
        String failure;
        final Call call = client.newCall(request(body));
        open.add(call);
        try (Response response = call.execute()) {
            if (response.code() != 200) {
                failure = "http " + response.code();
            } else {
                final Reader reader = new Reader(intended, audit);
                EventSources.processResponse(response, reader);
                failure = reader.failure();
            }
        } catch (final IOException e) {
            failure = Outcome.failed(e).error();
        } finally {
            open.remove(call);
        }
        finish(audit.verdict(), failure);
    }

    private Request request(final ObjectNode body) {
        try {
            return new Request.Builder()
                    .url(target.chatUrl().toString())
                    .header("Authorization", "Bearer llmgw-bench")
                    .post(RequestBody.create(Json.MAPPER.writeValueAsBytes(body), JSON))
                    .build();
        } catch (final IOException e) {
            throw new IllegalStateException("cannot encode a request body", e);
        }
    }

    /** Reads one stream's events on the stream's own thread; knows at the end why it failed, or that it did not. */
    private final class Reader extends EventSourceListener {

        private final long intended;
        private final ChunkAudit audit;
        private long previous;
        private String failure = "no [DONE]";

        Reader(final long intended, final ChunkAudit audit) {
            this.intended = intended;
            this.audit = audit;
        }

        @Override
        public void onEvent(final EventSource source, final String id, final String type, final String data) {
            if (StreamLine.isDone(data)) {
                if ("no [DONE]".equals(failure)) {
                    failure = null;
                }
                return;
            }
            if (StreamLine.isError(data)) {
                failure = "error event";
                return;
            }
            final String content = StreamLine.content(data);
            if (content == null) {
                return;
            }
            final long now = System.nanoTime();
            if (previous == 0) {
                recordTtft(now - intended);
            } else {
                recordGap(now - previous);
            }
            previous = now;
            audit.accept(content);
        }

        @Override
        public void onFailure(final EventSource source, final Throwable t, final Response response) {
            if (failure != null && t != null) {
                failure = Outcome.failed(t).error();
            }
        }

        String failure() {
            return failure;
        }
    }

    private synchronized void recordTtft(final long nanos) {
        ttftMicros.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(nanos)));
    }

    private synchronized void recordGap(final long nanos) {
        gapMicros.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(nanos)));
    }

    private synchronized void finish(final ChunkAudit.Verdict verdict, final String failure) {
        expected += verdict.expected();
        received += verdict.received();
        lost += verdict.lost();
        duplicated += verdict.duplicated();
        reordered += verdict.reordered();
        unexpected += verdict.unexpected();
        final String reason = failure != null ? failure : verdict.clean() ? null : "chunk audit";
        if (reason == null) {
            completed++;
        } else {
            failures.merge(reason, 1L, Long::sum);
        }
    }

    /**
     * A chat request whose reply is {@code tokens} tokens, each unique across the whole case: the prompt's words are
     * {@code s<stream>t<i>}, and the simulator echoes them after "You said:".
     */
    private ObjectNode body(final int stream) {
        final int words = plan.tokens() - SimulatedReply.tokenize(SimulatedReply.PREFIX).size();
        final StringJoiner prompt = new StringJoiner(" ");
        for (int i = 0; i < words; i++) {
            prompt.add("s" + stream + "t" + i);
        }
        final ObjectNode body = ChatTarget.chatBody(target.model(), prompt.toString(), plan.tokens());
        body.put("stream", true);
        body.putObject(InjectedFaults.FIELD)
                .put("ttft_ms", 0)
                .put("tokens_per_second", plan.tokensPerSecond())
                .put("tokens", plan.tokens());
        return body;
    }

}
