package io.llmgw.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.llmgw.schemas.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The GPU of the saturated cases: an OpenAI-compatible host in the benchmark's JVM whose every chat completion takes
 * a fixed call time, whether the caller streams or not (streams get one chunk every {@code pace}), and which records
 * what a GPU would feel: the calls open at once (their maximum is what the worker's cap must bound) and when each
 * call started and ended, by its tag (the first word of the last message), so the cases can tell whose request
 * started when without trusting the system under test.
 *
 * <p>Threads: the JDK server runs each exchange on a virtual thread of its own; the counters and the call list are
 * thread-safe and read by the cases' thread.
 */
final class PacedHost implements AutoCloseable {

    /**
     * One call as the host saw it: its tag, its start and end on {@link System#nanoTime()}, and when it wrote each
     * chunk of a stream (flushed), so a reader can tell the host's own pacing from what the path added.
     */
    record Call(String tag, long startNanos, long endNanos, List<Long> chunkNanos) {
    }

    private final HttpServer server;
    private final ExecutorService exchanges = Executors.newVirtualThreadPerTaskExecutor();
    private final Duration callTime;
    private final Duration pace;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final List<Call> calls = new CopyOnWriteArrayList<>();

    static {
        // The JDK server leaves Nagle's algorithm on unless told otherwise: a chunk written while the previous one
        // is unacknowledged waits in the kernel for that ack (measured: the second and the last chunks of a stream
        // reached the worker one pace late). Model servers send each token at once (uvicorn and Jetty set
        // TCP_NODELAY), so this host does too. Read once, when the JDK server's configuration first loads.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    PacedHost(final Duration callTime, final Duration pace) throws IOException {
        this.callTime = callTime;
        this.pace = pace;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        server.setExecutor(exchanges);
        server.createContext("/v1/chat/completions", this::complete);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    int open() {
        return open.get();
    }

    int maxOpen() {
        return maxOpen.get();
    }

    /** Calls that ended (answered or abandoned by the worker), in the order they ended. */
    List<Call> calls() {
        return List.copyOf(calls);
    }

    /** Forgets the calls and the maximum between cases; calls still open keep counting. */
    void reset() {
        calls.clear();
        maxOpen.set(open.get());
    }

    private void complete(final HttpExchange exchange) {
        final long start = System.nanoTime();
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        String tag = "";
        final List<Long> written = new ArrayList<>();
        try (exchange) {
            final JsonNode body = Json.MAPPER.readTree(exchange.getRequestBody());
            final JsonNode messages = body.path("messages");
            final String content = messages.path(messages.size() - 1).path("content").asText();
            tag = content.split(" ", 2)[0];
            if (body.path("stream").asBoolean(false)) {
                stream(exchange, tag, written);
            } else {
                answer(exchange, body, content, start);
            }
        } catch (final IOException e) {
            // the worker went away (killed, or the caller cancelled): the call counted while it was open
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.decrementAndGet();
            calls.add(new Call(tag, start, System.nanoTime(), List.copyOf(written)));
        }
    }

    private void answer(final HttpExchange exchange, final JsonNode body, final String content, final long start)
            throws IOException, InterruptedException {
        // the GPU's work: this is the host's pace, not the benchmark waiting for something
        TimeUnit.NANOSECONDS.sleep(Math.max(0, callTime.toNanos() - (System.nanoTime() - start)));
        final String answer = "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":"
                + Json.MAPPER.writeValueAsString(body.path("model").asText())
                + ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                + Json.MAPPER.writeValueAsString("echo: " + content) + "},\"finish_reason\":\"stop\"}]}";
        final byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** One chunk per {@code pace} until the call time is up, each flushed on its own, as a model server does. */
    private void stream(final HttpExchange exchange, final String tag, final List<Long> written)
            throws IOException, InterruptedException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        final OutputStream out = exchange.getResponseBody();
        final long chunks = Math.max(1, callTime.toNanos() / pace.toNanos());
        final long first = System.nanoTime();
        for (long i = 0; i < chunks; i++) {
            TimeUnit.NANOSECONDS.sleep(Math.max(0, first + i * pace.toNanos() - System.nanoTime()));
            final String chunk = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"content\":\"" + tag + "-" + i + " \"},\"finish_reason\":"
                    + (i == chunks - 1 ? "\"stop\"" : "null") + "}]}\n\n";
            out.write(chunk.getBytes(StandardCharsets.UTF_8));
            out.flush();
            written.add(System.nanoTime());
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() {
        server.stop(0);
        exchanges.shutdownNow();
    }
}
