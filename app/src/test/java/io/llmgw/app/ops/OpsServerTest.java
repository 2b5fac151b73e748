package io.llmgw.app.ops;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;
import io.micrometer.core.instrument.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpsServerTest {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Boolean> checks = new ConcurrentHashMap<>();
    private ProcessMetrics metrics;
    private OpsServer server;

    @BeforeEach
    void start() {
        metrics = ProcessMetrics.start();
        checks.put("kafka", true);
        checks.put("router", true);
        server = OpsServer.start("127.0.0.1", 0, metrics::scrape, () -> new LinkedHashMap<>(checks));
    }

    @AfterEach
    void stop() {
        server.close();
        metrics.close();
    }

    private HttpResponse<String> call(final String method, final String path) throws Exception {
        final HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(5)).method(method, HttpRequest.BodyPublishers.noBody()).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldServeThePrometheusTextOfTheProcessWhenMetricsIsScraped() throws Exception {
        Counter.builder("llmgw.test.things").register(metrics.registry()).increment(3);

        final HttpResponse<String> response = call("GET", "/metrics");

        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
        assertTrue(response.body().contains("llmgw_test_things_total 3.0"), response.body());
        assertTrue(response.body().contains("jvm_memory_used_bytes{"), "JVM metrics are bound");
        assertTrue(response.body().contains("process_cpu_usage"), "process metrics are bound");
    }

    @Test
    void shouldAnswer200OnHealthWhateverTheChecksSay() throws Exception {
        checks.put("kafka", false);

        final HttpResponse<String> response = call("GET", "/health");

        assertEquals(200, response.statusCode());
        assertEquals("ok", Json.MAPPER.readTree(response.body()).path("status").asText());
    }

    @Test
    void shouldFlipReadyTo503AndNameTheFailingCheckWhenACheckFails() throws Exception {
        final HttpResponse<String> ready = call("GET", "/ready");
        assertEquals(200, ready.statusCode());
        assertEquals("ready", Json.MAPPER.readTree(ready.body()).path("status").asText());

        checks.put("kafka", false);
        final HttpResponse<String> notReady = call("GET", "/ready");

        assertEquals(503, notReady.statusCode());
        final JsonNode body = Json.MAPPER.readTree(notReady.body());
        assertEquals("not_ready", body.path("status").asText());
        assertFalse(body.path("checks").path("kafka").asBoolean());
        assertTrue(body.path("checks").path("router").asBoolean());
    }

    @Test
    void shouldAnswerOpenAiStyleErrorsWhenThePathOrMethodIsWrong() throws Exception {
        final HttpResponse<String> unknown = call("GET", "/v1/models");
        assertEquals(404, unknown.statusCode());
        assertTrue(Json.MAPPER.readTree(unknown.body()).path("error").path("message").asText().contains("/metrics"));

        final HttpResponse<String> post = call("POST", "/ready");
        assertEquals(405, post.statusCode());
        assertEquals("invalid_request_error", Json.MAPPER.readTree(post.body()).path("error").path("type").asText());
    }
}
