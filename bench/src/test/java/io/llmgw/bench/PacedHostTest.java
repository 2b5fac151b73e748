package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacedHostTest {

    private static final Duration CALL = Duration.ofMillis(300);
    private static final Duration PACE = Duration.ofMillis(30);

    @Test
    void shouldHoldEveryCallForTheCallTimeAndCountTheCallsOpenAtOnce() throws Exception {
        try (PacedHost host = new PacedHost(CALL, PACE);
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            final List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                calls.add(http.sendAsync(request(host, "plain" + i, false), HttpResponse.BodyHandlers.ofString()));
            }
            calls.add(http.sendAsync(request(host, "streamed", true), HttpResponse.BodyHandlers.ofString()));
            final List<String> bodies = new ArrayList<>();
            for (final CompletableFuture<HttpResponse<String>> call : calls) {
                bodies.add(call.get().body());
            }

            assertTrue(bodies.get(0).contains("\"echo: plain0 question\""), bodies.get(0));
            final String stream = bodies.get(3);
            assertEquals(CALL.toMillis() / PACE.toMillis(), stream.lines().filter(l -> l.contains("streamed-")).count(),
                    stream);
            assertTrue(stream.strip().endsWith("data: [DONE]"), stream);
            assertEquals(4, host.maxOpen(), "all four calls overlap: each takes " + CALL);
            assertEquals(0, host.open());
            final List<PacedHost.Call> seen = host.calls();
            assertEquals(List.of("plain0", "plain1", "plain2", "streamed"),
                    seen.stream().map(PacedHost.Call::tag).sorted().toList());
            for (final PacedHost.Call call : seen) {
                // a streamed call ends one pace early: its last chunk goes out at (chunks - 1) x pace
                assertTrue(call.endNanos() - call.startNanos() >= CALL.minus(PACE).toNanos(), call.toString());
            }

            host.reset();
            assertEquals(List.of(), host.calls());
            assertEquals(0, host.maxOpen());
        }
    }

    /**
     * Each chunk leaves the host when it is written: with Nagle's algorithm on (the JDK server's default) the second
     * chunk waited in the kernel for the ack of the first, about one pace, and the saturated case charged that to the
     * gateway path.
     */
    @Test
    void shouldSendEveryChunkWhenItIsWritten() throws Exception {
        try (PacedHost host = new PacedHost(CALL, PACE);
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            final List<List<Long>> lateMs = new ArrayList<>();
            // one connection, streams one after the other: a kept-alive connection has left TCP's quick-ack start,
            // so the reader delays its acks, which is when Nagle holds a chunk back (a worker's pooled connection)
            for (int stream = 0; stream < 4; stream++) {
                host.reset();
                final List<Long> arrived = new ArrayList<>();
                try (var lines = http.send(request(host, "timed", true), HttpResponse.BodyHandlers.ofLines()).body()) {
                    lines.filter(line -> line.contains("timed-")).forEach(line -> arrived.add(System.nanoTime()));
                }
                final List<Long> written = host.calls().getFirst().chunkNanos();
                assertEquals(written.size(), arrived.size());
                final List<Long> late = new ArrayList<>();
                for (int i = 0; i < arrived.size(); i++) {
                    late.add((arrived.get(i) - written.get(i)) / 1_000_000);
                }
                lateMs.add(late);
            }
            // chunk 1 is the one Nagle held back (12-13 ms here, against 0-1 with TCP_NODELAY); the median of the
            // four streams, so that one slow read on a busy machine does not decide
            final List<Long> second = lateMs.stream().map(late -> late.get(1)).sorted().toList();
            assertTrue(second.get(second.size() / 2) < 8,
                    "ms from write to read, by stream and chunk: " + lateMs);
        }
    }

    private static HttpRequest request(final PacedHost host, final String tag, final boolean stream) {
        return HttpRequest.newBuilder(URI.create(host.baseUrl() + "/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + tag + " question\"}]}"))
                .build();
    }
}
