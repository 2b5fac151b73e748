package io.llmgw.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.app.ops.OpsConfig;
import io.llmgw.schemas.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Prometheus scrape configuration and the Grafana dashboard under {@code ops/}: they scrape services the compose
 * files define, on the ports the processes serve, and chart only metrics the README documents (which OpsIT proves
 * are exported).
 */
class MonitoringConfigTest {

    private static final Pattern METRIC = Pattern.compile("\\b(llmgw_[a-z0-9_]+?)(?:_bucket|_count|_sum)?\\b");
    private static final Pattern DOCUMENTED = Pattern.compile("^\\| `((?:llmgw|jvm|process|kafka)_[a-z0-9_]+)`",
            Pattern.MULTILINE);

    private static Path root;

    @BeforeAll
    static void read() {
        root = RepositoryFiles.root();
    }

    @SuppressWarnings("unchecked")
    @Test
    void shouldScrapeTheComposeServicesOnTheirMetricsPortsWhenPrometheusRuns() {
        final Map<String, Object> config = RepositoryFiles.yaml(root.resolve("ops/prometheus/prometheus.yml"));
        final Map<String, Integer> portByService = new TreeMap<>();
        for (final Object job : (List<Object>) config.get("scrape_configs")) {
            for (final Object sd : (List<Object>) RepositoryFiles.map(job).get("dns_sd_configs")) {
                final Map<String, Object> discovery = RepositoryFiles.map(sd);
                for (final Object name : (List<Object>) discovery.get("names")) {
                    portByService.put(String.valueOf(name), (Integer) discovery.get("port"));
                }
            }
        }
        assertEquals(Map.of("gateway", 8000, "router", 9464, "worker-inhouse", 9464, "worker-openai", 9464),
                portByService);
        for (final String file : List.of("docker-compose.yml", "docker-compose.llm.yml")) {
            final Set<String> services = RepositoryFiles.map(RepositoryFiles.yaml(root.resolve(file)).get("services"))
                    .keySet();
            assertTrue(services.containsAll(portByService.keySet()), file + " defines " + services);
        }
        assertEquals(9464, OpsConfig.DEFAULT_PORT);
    }

    @Test
    void shouldChartRequestsLatencyQueueDepthAndInFlightWithDocumentedMetricsOnly() throws Exception {
        final String text = RepositoryFiles.text(root.resolve("ops/grafana/dashboards/llmgw.json"));
        final JsonNode dashboard = Json.MAPPER.readTree(text);
        final Set<String> charted = new TreeSet<>();
        final Matcher metric = METRIC.matcher(text);
        while (metric.find()) {
            charted.add(metric.group(1));
        }
        final String readme = RepositoryFiles.text(root.resolve("README.md"));
        final Set<String> documented = new TreeSet<>();
        final Matcher doc = DOCUMENTED.matcher(readme.substring(readme.indexOf("\n## Operations")));
        while (doc.find()) {
            documented.add(doc.group(1));
        }

        assertTrue(charted.containsAll(Set.of("llmgw_gateway_requests_total", "llmgw_gateway_request_duration_seconds",
                "llmgw_worker_first_token_seconds", "llmgw_worker_queue_wait_seconds", "llmgw_queue_depth",
                "llmgw_worker_inflight")), "requests, latency, queue depth and in-flight: " + charted);
        final Set<String> undocumented = new TreeSet<>(charted);
        undocumented.removeAll(documented);
        assertEquals(Set.of(), undocumented, "charted but not documented (or not exported)");
        dashboard.path("panels").forEach(panel -> panel.path("targets").forEach(target ->
                assertEquals("llmgw-prometheus", target.path("datasource").path("uid").asText(), panel.path("title")
                        .asText())));
    }

    @Test
    void shouldProvisionThePrometheusDatasourceAndTheDashboardFolderGrafanaMounts() {
        final Map<String, Object> datasource = RepositoryFiles.map(((List<?>) RepositoryFiles.yaml(
                root.resolve("ops/grafana/provisioning/datasources/prometheus.yml")).get("datasources")).getFirst());
        assertEquals("llmgw-prometheus", datasource.get("uid"));
        assertEquals("http://prometheus:9090", datasource.get("url"));
        final Map<String, Object> provider = RepositoryFiles.map(((List<?>) RepositoryFiles.yaml(
                root.resolve("ops/grafana/provisioning/dashboards/llmgw.yml")).get("providers")).getFirst());
        assertEquals("/var/lib/grafana/dashboards", RepositoryFiles.map(provider.get("options")).get("path"));
        final Object grafanaVolumes = RepositoryFiles.map(RepositoryFiles.map(RepositoryFiles.yaml(
                root.resolve("docker-compose.yml")).get("services")).get("grafana")).get("volumes");
        assertTrue(((List<?>) grafanaVolumes).contains("./ops/grafana/dashboards:/var/lib/grafana/dashboards:ro"));
    }
}
