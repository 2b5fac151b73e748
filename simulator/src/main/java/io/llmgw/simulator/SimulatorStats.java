package io.llmgw.simulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** What the simulator has seen, updated from many request threads at once and read by tests. */
final class SimulatorStats {

    /** Enough for any test; a long-running dev stack must not grow without bound. */
    static final int CANCELS_KEPT = 10_000;

    private final int recentCapacity;
    private final AtomicLong totalRequests = new AtomicLong();
    private final ConcurrentMap<String, AtomicLong> requestsByKey = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, AtomicLong> requestsByModel = new ConcurrentHashMap<>();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final AtomicLong clientCancelCount = new AtomicLong();
    private final Deque<ClientCancel> clientCancels = new ArrayDeque<>();
    private final Deque<ReceivedRequest> recentRequests = new ArrayDeque<>();
    private volatile boolean closing;

    SimulatorStats(final int recentCapacity) {
        this.recentCapacity = recentCapacity;
    }

    /**
     * Counts a received request and returns which call it is for its {@code x_sim.key} (1 for the first), or overall
     * when it has no key; fault injection decides on that number.
     */
    long recordRequest(final ReceivedRequest request) {
        final long total = totalRequests.incrementAndGet();
        request.model().ifPresent(model -> counter(requestsByModel, model).incrementAndGet());
        synchronized (recentRequests) {
            if (recentCapacity > 0) {
                if (recentRequests.size() == recentCapacity) {
                    recentRequests.removeFirst();
                }
                recentRequests.addLast(request);
            }
        }
        return request.simKey().map(key -> counter(requestsByKey, key).incrementAndGet()).orElse(total);
    }

    void streamOpened() {
        openStreams.incrementAndGet();
    }

    void streamClosed() {
        openStreams.decrementAndGet();
    }

    void recordClientCancel(final ClientCancel cancel) {
        // connections closed by our own shutdown are not clients going away
        if (closing) {
            return;
        }
        clientCancelCount.incrementAndGet();
        synchronized (clientCancels) {
            if (clientCancels.size() == CANCELS_KEPT) {
                clientCancels.removeFirst();
            }
            clientCancels.addLast(cancel);
        }
    }

    void markClosing() {
        closing = true;
    }

    long totalRequests() {
        return totalRequests.get();
    }

    long requestsForKey(final String key) {
        final AtomicLong count = requestsByKey.get(key);
        return count == null ? 0 : count.get();
    }

    long requestsForModel(final String model) {
        final AtomicLong count = requestsByModel.get(model);
        return count == null ? 0 : count.get();
    }

    int openStreams() {
        return openStreams.get();
    }

    long clientCancelCount() {
        return clientCancelCount.get();
    }

    List<ClientCancel> clientCancels() {
        synchronized (clientCancels) {
            return List.copyOf(clientCancels);
        }
    }

    List<ReceivedRequest> recentRequests() {
        synchronized (recentRequests) {
            return List.copyOf(recentRequests);
        }
    }

    /** Forgets counts, cancels and recorded requests, so tests sharing one simulator start from zero. */
    void reset() {
        totalRequests.set(0);
        requestsByKey.clear();
        requestsByModel.clear();
        clientCancelCount.set(0);
        synchronized (clientCancels) {
            clientCancels.clear();
        }
        synchronized (recentRequests) {
            recentRequests.clear();
        }
    }

    /** The {@code GET /sim/stats} document. Credentials are masked: this endpoint may be reachable by others. */
    ObjectNode toJson() {
        final ObjectNode json = Json.object();
        json.put("total_requests", totalRequests());
        json.set("requests_by_key", counts(requestsByKey));
        json.set("requests_by_model", counts(requestsByModel));
        json.put("open_streams", openStreams());
        json.put("client_cancel_count", clientCancelCount());
        final ArrayNode cancels = json.putArray("client_cancels");
        clientCancels().forEach(cancel -> cancels.addObject()
                .put("at", cancel.at().toString())
                .put("path", cancel.path())
                .put("model", cancel.model())
                .put("key", cancel.key())
                .put("events_sent", cancel.eventsSent()));
        final ArrayNode recent = json.putArray("recent_requests");
        for (final ReceivedRequest request : recentRequests()) {
            final ObjectNode entry = recent.addObject()
                    .put("received_at", request.receivedAt().toString())
                    .put("method", request.method())
                    .put("path", request.path());
            request.model().ifPresent(model -> entry.put("model", model));
            request.simKey().ifPresent(key -> entry.put("key", key));
            request.bearerToken().ifPresent(token -> entry.put("bearer_token", mask(token)));
        }
        return json;
    }

    private static AtomicLong counter(final ConcurrentMap<String, AtomicLong> counters, final String name) {
        return counters.computeIfAbsent(name, n -> new AtomicLong());
    }

    private static ObjectNode counts(final Map<String, AtomicLong> counters) {
        final ObjectNode json = Json.object();
        new TreeMap<>(counters).forEach((name, count) -> json.put(name, count.get()));
        return json;
    }

    private static String mask(final String token) {
        return token.length() <= 8 ? "***" : token.substring(0, 3) + "..." + token.substring(token.length() - 4);
    }
}
