package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;

/** {@code GET /v1/requests/{id}} for tests: waits for a status instead of sleeping. */
final class Results {

    private Results() {
    }

    /** The request's view once it has {@code status}; fails after 30 s. {@code gatewayUrl} ends with {@code /v1}. */
    static JsonNode awaitStatus(final String gatewayUrl, final String id, final String status) {
        final AtomicReference<JsonNode> seen = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .alias("request " + id + " is " + status)
                .until(() -> {
                    final Http.Reply reply = Http.get(gatewayUrl + "/requests/" + id);
                    if (reply.status() != 200) {
                        return false;
                    }
                    seen.set(reply.json());
                    return status.equals(reply.json().path("status").asText());
                });
        return seen.get();
    }

    /** Waits until the gateway's results answer lookups (404 for an unknown id, not 503 while rebalancing). */
    static void awaitAnswering(final String gatewayUrl) {
        // one unknown id per events partition: a partition still restoring after the rebalance answers 503
        for (final String id : unknownIdPerPartition(3)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Http.get(gatewayUrl + "/requests/" + id).status() == 404);
        }
    }

    /** Request ids nobody made, one hashing to each of {@code partitions} events partitions (the key's murmur2). */
    private static java.util.Collection<String> unknownIdPerPartition(final int partitions) {
        final java.util.Map<Integer, String> ids = new java.util.TreeMap<>();
        for (long n = 0; ids.size() < partitions; n++) {
            final String id = String.format("req_%024x", n);
            ids.putIfAbsent(org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                    id.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions, id);
        }
        return ids.values();
    }
}
