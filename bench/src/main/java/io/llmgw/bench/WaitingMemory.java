package io.llmgw.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.simulator.InjectedFaults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's memory with N requests waiting: heap after a full GC and RSS of the gateway process, idle and again
 * while N non-streaming requests wait for a simulator that takes its time ({@code x_sim.ttft_ms}). The difference
 * divided by N is what one waiting request costs the gateway (its HTTP exchange, virtual thread, pending reply).
 */
final class WaitingMemory {

    private static final double SEND_RATE = 1000;
    /** Holding time beyond the sending: time enough to see all of them pending and to collect the heap. */
    private static final Duration HOLD_MARGIN = Duration.ofSeconds(4);
    private static final String PENDING_METRIC = "llmgw_gateway_pending_requests";

    /** Classes listed in the result, largest growth first. */
    private static final int GROWTH_CLASSES = 15;

    /**
     * What the case measured. RSS is reported as is, not per request: it moves with the heap's size, which a full
     * GC may shrink, more than with what lives in it.
     *
     * @param waiting                    requests sent
     * @param pendingAtMeasure           requests the gateway counted as waiting when the loaded heap was read
     * @param idle                       heap and RSS before
     * @param loaded                     heap and RSS with the requests waiting
     * @param heapBytesPerWaitingRequest heap difference per waiting request
     * @param growthPerWaitingRequest    the classes that grew most, bytes per waiting request
     * @param requests                   how the held requests ended (all should succeed once released)
     */
    record Result(int waiting, long pendingAtMeasure, NodeProcess.Heap idle, NodeProcess.Heap loaded,
                  double heapBytesPerWaitingRequest, Map<String, Double> growthPerWaitingRequest,
                  OpenLoop.Result requests) {

        Result {
            growthPerWaitingRequest = Collections.unmodifiableMap(new LinkedHashMap<>(growthPerWaitingRequest));
        }
    }

    private WaitingMemory() {
    }

    /** Runs the case; the class histograms of the gateway, idle and loaded, are written to {@code outDir}. */
    static Result run(final ChatTarget gateway, final NodeProcess node, final int waiting, final Path outDir)
            throws InterruptedException, IOException {
        try (HttpClient client = ChatTarget.newClient()) {
            return measure(gateway.withClient(client), node, waiting, outDir);
        }
    }

    private static Result measure(final ChatTarget gateway, final NodeProcess node, final int waiting,
                                  final Path outDir) throws InterruptedException, IOException {
        final HeapHistogram idleClasses = node.histogram(outDir.resolve("gateway-heap-idle.txt"));
        final NodeProcess.Heap idle = node.heapAfterGc();
        // exactly `waiting` requests are due within this window at SEND_RATE
        final Duration sending = Duration.ofNanos(waiting * Math.round(1e9 / SEND_RATE));
        final Duration hold = sending.plus(HOLD_MARGIN);
        final ObjectNode body = ChatTarget.chatBody(gateway.model(), ChatTarget.PROMPT, ChatTarget.MAX_TOKENS);
        body.putObject(InjectedFaults.FIELD).put("ttft_ms", hold.toMillis());
        final HttpRequest request = gateway.post(body);
        final OpenLoop.Plan plan = new OpenLoop.Plan(SEND_RATE, Duration.ZERO, sending, hold.plusSeconds(30),
                waiting + 1);
        final CompletableFuture<OpenLoop.Result> requests = new CompletableFuture<>();
        Thread.ofVirtual().name("bench-waiting").start(() -> {
            try {
                requests.complete(OpenLoop.run(plan, () -> gateway.complete(request)));
            } catch (final InterruptedException | RuntimeException e) {
                requests.completeExceptionally(e);
            }
        });

        final long giveUp = System.nanoTime() + sending.plus(HOLD_MARGIN.dividedBy(2)).toNanos();
        long pending = 0;
        while (System.nanoTime() < giveUp && (pending = pending(gateway)) < waiting) {
            // polling: the gauge is the only view of the other process's count
            TimeUnit.MILLISECONDS.sleep(100);
        }
        final NodeProcess.Heap loaded = node.heapAfterGc();
        final long pendingAtMeasure = pending(gateway);
        final HeapHistogram loadedClasses = node.histogram(outDir.resolve("gateway-heap-waiting.txt"));
        final OpenLoop.Result ended;
        try {
            ended = requests.get();
        } catch (final ExecutionException e) {
            throw new IllegalStateException("the waiting requests failed to run: " + e.getCause(), e.getCause());
        }
        final double divisor = Math.max(1, pendingAtMeasure);
        return new Result(waiting, pendingAtMeasure, idle, loaded, (loaded.used() - idle.used()) / divisor,
                loadedClasses.growthSince(idleClasses, divisor, GROWTH_CLASSES), ended);
    }

    /** The gateway's pending-requests gauge from {@code /metrics}; -1 when it cannot be read. */
    static long pending(final ChatTarget gateway) throws InterruptedException {
        final URI metrics = URI.create(gateway.baseUrl().toString().replaceFirst("/v1$", "") + "/metrics");
        try {
            final HttpResponse<String> response = gateway.client().send(
                    HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            for (final String line : response.body().split("\n")) {
                if (line.startsWith(PENDING_METRIC + " ") || line.startsWith(PENDING_METRIC + "{")) {
                    return Math.round(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
                }
            }
        } catch (final IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
