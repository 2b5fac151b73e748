package io.llmgw.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.app.broker.BrokerLib;
import io.llmgw.app.broker.EmbeddedKafka;
import io.llmgw.schemas.Json;
import io.llmgw.settings.Settings;
import io.llmgw.simulator.LlmSimulator;
import io.llmgw.simulator.SimulatorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The production roles (the commands of the image, each in a JVM of its own) on a broker of their own, so that the
 * broker can be stopped:
 * router, worker and gateway each answer {@code /ready} 200 while Kafka answers and 503 once it stops, while
 * {@code /health} stays 200; router and worker serve their metrics on {@code OPS_PORT}.
 */
class RolesReadinessIT {

    private static final String MODEL = "ready-model";
    private static final Duration START = Duration.ofSeconds(90);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dataDir;

    @Test
    void shouldTurnEveryProcessNotReadyButAliveWhenTheBrokerStops() throws Exception {
        final EmbeddedKafka broker = EmbeddedKafka.start(dataDir.resolve("kafka"), BrokerLib.locate(),
                EmbeddedKafka.Options.defaults());
        try (LlmSimulator host = LlmSimulator.start(SimulatorConfig.defaults().withoutDelays())) {
            final Map<String, String> values = ThreeRoles.settings(broker.bootstrapServers(), "ready", dataDir, 1, 1);
            values.put("OPS_QUEUE_DEPTH_INTERVAL", "0.5");
            final Settings base = Settings.of(values);
            try (ThreeRoles roles = ThreeRoles.inOwnJvms(base, host.baseUrl(), MODEL, "ready-gateway")) {
                final String router = roles.router();
                final String worker = roles.worker();
                final String gateway = roles.gateway();

                // the JVMs open their ports when they get there: refused connections until then
                await().atMost(START).pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(() -> {
                    assertEquals(200, get(router + "/ready").statusCode(), "router ready");
                    assertEquals(200, get(worker + "/ready").statusCode(), "worker ready");
                    assertEquals(200, get(gateway + "/ready").statusCode(), "gateway ready");
                });
                final JsonNode workerChecks = Json.MAPPER.readTree(get(worker + "/ready").body()).path("checks");
                assertTrue(workerChecks.path("kafka").asBoolean() && workerChecks.path("worker:" + MODEL).asBoolean(),
                        workerChecks.toString());
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    final String routerMetrics = get(router + "/metrics").body();
                    assertTrue(routerMetrics.contains("\nllmgw_router_queue_depth{topic=\"ready.requests\"} 0.0"));
                    assertTrue(routerMetrics.contains("\nkafka_stream_thread_process_total{"), "Streams metrics");
                    final String workerMetrics = get(worker + "/metrics").body();
                    assertTrue(workerMetrics.contains("\nllmgw_queue_depth{model=\"" + MODEL + "\""));
                    assertTrue(workerMetrics.contains("\nllmgw_worker_inflight{model=\"" + MODEL + "\""));
                    assertTrue(workerMetrics.contains("\njvm_memory_used_bytes{"), "JVM metrics");
                    assertTrue(get(gateway + "/metrics").body().contains("\njvm_memory_used_bytes{"),
                            "the gateway serves the process registry");
                });

                final long stopping = System.nanoTime();
                broker.close();
                final long stoppedMs = Duration.ofNanos(System.nanoTime() - stopping).toMillis();

                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    for (final String process : List.of(router, worker, gateway)) {
                        final HttpResponse<String> ready = get(process + "/ready");
                        assertEquals(503, ready.statusCode(), process + " " + ready.body());
                        assertFalse(Json.MAPPER.readTree(ready.body()).path("checks").path("kafka").asBoolean(true),
                                ready.body());
                    }
                });
                // each /ready asks Kafka with a 2 s timeout when its cached answer is older than 2 s
                System.out.printf("RolesReadinessIT: the broker stopped in %d ms; all three /ready 503 %d ms later%n",
                        stoppedMs, Duration.ofNanos(System.nanoTime() - stopping).toMillis() - stoppedMs);
                for (final String process : List.of(router, worker, gateway)) {
                    assertEquals(200, get(process + "/health").statusCode(), process + " is still alive");
                }
            }
        } finally {
            broker.close();
        }
    }

    private HttpResponse<String> get(final String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

}
