package io.llmgw.bench;

import io.llmgw.schemas.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * The callers of the saturated cases: streamed chat completions through the gateway, each tagged (the first word of
 * its question, which {@link PacedHost} records) and sent with scheduling headers, with the arrival time of every
 * chunk kept so the cases can read the gaps a waiting queue adds to running streams.
 *
 * <p>Threads: each call runs on a virtual thread of its own ({@link #send}); a {@link Result} is immutable.
 */
final class SaturatedClient implements AutoCloseable {

    /**
     * One call as its caller saw it.
     *
     * @param tag         the tag the host saw
     * @param sentNanos   when it was sent
     * @param status      HTTP status (0 when the connection failed)
     * @param chunkNanos  arrival of each content chunk, in order
     * @param done        whether the stream ended with {@code [DONE]} and no error event
     * @param error       what went wrong, or empty
     */
    record Result(String tag, long sentNanos, int status, List<Long> chunkNanos, boolean done, String error) {

        boolean ok() {
            return status == 200 && done && !chunkNanos.isEmpty();
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
    private final URI completions;
    private final String model;

    SaturatedClient(final URI gatewayBaseUrl, final String model) {
        this.completions = URI.create(gatewayBaseUrl + "/chat/completions");
        this.model = model;
    }

    /** Sends one streamed call with the given scheduling headers (for example X-Priority: low). */
    CompletableFuture<Result> stream(final String tag, final Map<String, String> headers) {
        final long sent = System.nanoTime();
        return CompletableFuture.supplyAsync(() -> call(tag, headers, sent, true), callers);
    }

    /** Sends one call that is not streamed: its one "chunk" is the answer, when it echoes the question. */
    CompletableFuture<Result> complete(final String tag) {
        final long sent = System.nanoTime();
        return CompletableFuture.supplyAsync(() -> call(tag, Map.of(), sent, false), callers);
    }

    private Result call(final String tag, final Map<String, String> headers, final long sent, final boolean stream) {
        final String question = tag + " please answer";
        final String body = "{\"model\":" + quoted(model) + ",\"stream\":" + stream + ",\"messages\":[{\"role\":"
                + "\"user\",\"content\":" + quoted(question) + "}]}";
        final HttpRequest.Builder request = HttpRequest.newBuilder(completions).timeout(TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        final List<Long> chunks = new ArrayList<>();
        try {
            if (!stream) {
                final HttpResponse<String> response = http.send(request.build(),
                        HttpResponse.BodyHandlers.ofString());
                final boolean answered = response.statusCode() == 200
                        && response.body().contains(quoted("echo: " + question));
                return new Result(tag, sent, response.statusCode(), answered ? List.of(System.nanoTime()) : List.of(),
                        answered, answered ? "" : response.body());
            }
            final HttpResponse<Stream<String>> response = http.send(request.build(),
                    HttpResponse.BodyHandlers.ofLines());
            boolean done = false;
            String error = "";
            try (Stream<String> lines = response.body()) {
                final Iterator<String> it = lines.iterator();
                while (it.hasNext()) {
                    final String line = it.next();
                    if (!line.startsWith("data:")) {
                        continue; // blank separators and keep-alive comments
                    }
                    final String data = line.substring(5).strip();
                    if (data.equals("[DONE]")) {
                        done = true;
                    } else if (data.contains("\"error\"")) {
                        error = data;
                    } else {
                        chunks.add(System.nanoTime());
                    }
                }
            }
            return new Result(tag, sent, response.statusCode(), List.copyOf(chunks), done && error.isEmpty(), error);
        } catch (final IOException e) {
            return new Result(tag, sent, 0, List.copyOf(chunks), false, e.toString());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(tag, sent, 0, List.copyOf(chunks), false, "interrupted");
        }
    }

    private static String quoted(final String text) {
        try {
            return Json.MAPPER.writeValueAsString(text);
        } catch (final IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public void close() {
        callers.shutdownNow();
        http.close();
    }
}
