package io.llmgw.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.simulator.InjectedFaults;
import io.llmgw.simulator.SimulatedReply;
import io.llmgw.simulator.SimulatorConfig;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 * <p>Each stream is read on its own virtual thread, as a client would.
 */
final class StreamLoad {

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
    private final Set<InputStream> open = ConcurrentHashMap.newKeySet();
    private long completed;
    private int expected;
    private int received;
    private int lost;
    private int duplicated;
    private int reordered;
    private int unexpected;

    private StreamLoad(final ChatTarget target, final Plan plan, final SimulatorConfig simulator) {
        this.target = target;
        this.plan = plan;
        this.simulator = simulator;
    }

    /**
     * Runs the case against {@code target}; {@code simulator} is the simulator's configuration, from which the
     * expected tokens of every stream are computed.
     */
    static Result run(final ChatTarget target, final Plan plan, final SimulatorConfig simulator)
            throws InterruptedException {
        try (HttpClient client = ChatTarget.newClient()) {
            return new StreamLoad(target.withClient(client), plan, simulator).run();
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
            open.forEach(StreamLoad::closeQuietly);
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
        String failure = null;
        try {
            final HttpResponse<InputStream> response = target.client().send(target.post(body),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                open.add(in);
                if (response.statusCode() != 200) {
                    failure = "http " + response.statusCode();
                } else {
                    failure = read(in, intended, audit);
                }
            } finally {
                open.remove(response.body());
            }
        } catch (final IOException e) {
            failure = Outcome.failed(e).error();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        }
        finish(audit.verdict(), failure);
    }

    /** Reads the event stream to its end; returns why it failed, or null. */
    private String read(final InputStream in, final long intended, final ChunkAudit audit) throws IOException {
        final BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        long previous = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            final String data = StreamLine.data(line);
            if (data == null) {
                continue;
            }
            if (StreamLine.isDone(data)) {
                return null;
            }
            if (StreamLine.isError(data)) {
                return "error event";
            }
            final String content = StreamLine.content(data);
            if (content == null) {
                continue;
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
        return "no [DONE]";
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

    private static void closeQuietly(final InputStream in) {
        try {
            in.close();
        } catch (final IOException e) {
            // closing is how we give up on it; a failure to close changes nothing
        }
    }
}
