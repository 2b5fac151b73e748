package io.llmgw.app.e2e;

import io.llmgw.app.ops.QueueDepth;
import io.llmgw.processors.ModelSpec;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.simulator.LlmSimulator;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What operators read after traffic: every metric the README's Operations section documents is exported by the
 * running stack (and every llmgw metric it exports is documented), and queue depth measures a real backlog.
 */
class OpsIT {

    /** README's metric tables list names as {@code `llmgw_...`} in the first column. */
    private static final Pattern DOCUMENTED = Pattern.compile("^\\| `((?:llmgw|jvm|process|kafka)_[a-z0-9_]+)`",
            Pattern.MULTILINE);
    private static final Pattern FAMILY = Pattern.compile("^# TYPE (llmgw_[a-z0-9_]+) ", Pattern.MULTILINE);

    private static final String FALLBACK_PRIMARY = "ops-fallback-primary";
    private static final String FALLBACK_BACKUP = "ops-fallback-backup";

    private static E2eStack stack;

    @BeforeAll
    static void startStack() {
        stack = E2eStack.shared();
    }

    private static String metricsUrl() {
        return stack.gatewayUrl().replace("/v1", "/metrics");
    }

    private static String chat(final boolean stream, final String xSim) {
        return chat(E2eStack.QWEN, stream, xSim);
    }

    private static String chat(final String model, final boolean stream, final String xSim) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Сколько стоит метрика?\"}]"
                + (xSim == null ? "" : ",\"x_sim\":" + xSim) + "}";
    }

    private static Set<String> documentedMetrics() throws IOException {
        final String readme = Files.readString(Path.of("..", "README.md"));
        final int section = readme.indexOf("\n## Operations");
        assertTrue(section >= 0, "README.md has an Operations section");
        final Set<String> names = new TreeSet<>();
        final Matcher matcher = DOCUMENTED.matcher(readme.substring(section));
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    @Test
    void shouldExportEveryDocumentedMetricAndDocumentEveryExportedOneAfterTraffic() throws Exception {
        assertEquals(200, Http.post(stack.gatewayUrl() + "/chat/completions", chat(false, null)).status());
        final List<String> streamed = Http.postForSseData(stack.gatewayUrl() + "/chat/completions", chat(true, null));
        assertEquals("[DONE]", streamed.getLast());
        // one 503 from the host, then success: an upstream error and a retry
        assertEquals(200, Http.post(stack.gatewayUrl() + "/chat/completions",
                chat(false, "{\"key\":\"ops-metrics-retry\",\"fail_status\":503,\"fail_times\":1}")).status());
        // the host refuses with a 400: no retry, the request fails at the worker
        assertEquals(400, Http.post(stack.gatewayUrl() + "/chat/completions",
                chat(false, "{\"fail_status\":400}")).status());
        assertEquals(404, Http.post(stack.gatewayUrl() + "/chat/completions",
                chat(false, null).replace(E2eStack.QWEN, "no-such-model")).status());
        lifecycleTraffic();

        final Set<String> documented = documentedMetrics();
        assertTrue(documented.size() > 15, "the README lists the metrics: " + documented);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            final String scrape = Http.get(metricsUrl()).body();
            final Set<String> missing = new TreeSet<>();
            for (final String name : documented) {
                if (!scrape.contains("\n" + name)) {
                    missing.add(name);
                }
            }
            assertEquals(Set.of(), missing, "documented in README.md but not exported after traffic");
        });

        final String scrape = Http.get(metricsUrl()).body();
        final Set<String> undocumented = new TreeSet<>();
        final Matcher family = FAMILY.matcher(scrape);
        while (family.find()) {
            final String name = family.group(1);
            if (!documented.contains(name) && !documented.contains(name.replaceFirst("_max$", ""))) {
                undocumented.add(name);
            }
        }
        assertEquals(Set.of(), undocumented, "exported but not documented in README.md's Operations section");
        assertTrue(scrape.contains("llmgw_worker_upstream_errors_total{model=\"" + E2eStack.QWEN
                + "\",status=\"503\"}"), "the injected 503 was counted");
        assertTrue(scrape.contains("llmgw_gateway_requests_total{endpoint=\"chat.completions\",model=\"none\","
                + "status=\"404\"}"), "the unknown model was counted without a model of its own");
        assertTrue(scrape.contains("llmgw_worker_cancellations_total{model=\"" + E2eStack.QWEN
                + "\",reason=\"client_disconnected\"}"), "the worker counted the cancel by its reason");
        assertTrue(scrape.contains("llmgw_worker_fallbacks_total{fallback=\"" + FALLBACK_BACKUP + "\",model=\""
                + FALLBACK_PRIMARY + "\"}"), "the hand-over to the fallback model was counted");
    }

    /** An async submit, a client that goes away (a cancel at gateway and worker) and a fallback to another model. */
    private static void lifecycleTraffic() throws Exception {
        final Http.Reply accepted = Http.post(stack.gatewayUrl() + "/chat/completions", chat(false, null),
                "Prefer", "respond-async");
        assertEquals(202, accepted.status());
        Results.awaitStatus(stack.gatewayUrl(), accepted.json().path("id").asText(), "completed");

        final LlmSimulator host = stack.stack().simulator();
        try (RawHttp gone = RawHttp.post(stack.gatewayUrl() + "/chat/completions",
                chat(false, "{\"key\":\"ops-metrics-cancel\",\"ttft_ms\":20000}"))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> host.requestsForKey("ops-metrics-cancel") == 1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> host.clientCancels().stream()
                .anyMatch(cancel -> cancel.key().equals("ops-metrics-cancel")));

        final ModelSpec base = DedicatedWorker.simulated(stack, FALLBACK_PRIMARY);
        try (DedicatedWorker primary = DedicatedWorker.start(stack, new ModelSpec(FALLBACK_PRIMARY, base.baseUrl(),
                null, null, 8, Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30), 2,
                Duration.ofMillis(50), FALLBACK_BACKUP), Map.of());
             DedicatedWorker backup = DedicatedWorker.start(stack, FALLBACK_BACKUP, Map.of())) {
            // both tries on the primary fail: the backup answers
            assertEquals(200, Http.post(stack.gatewayUrl() + "/chat/completions", chat(FALLBACK_PRIMARY, false,
                    "{\"key\":\"ops-metrics-fallback\",\"fail_status\":503,\"fail_times\":2}")).status());
            assertEquals(3, host.requestsForKey("ops-metrics-fallback"));
        }
    }

    @Test
    void shouldReportAnEmptyQueueForAModelWhoseWorkersKeptUp() {
        final Pattern depth = Pattern.compile("^llmgw_queue_depth\\{model=\"" + Pattern.quote(E2eStack.QWEN)
                + "\",topic=\"[^\"]+\"} (\\S+)$", Pattern.MULTILINE);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            final Matcher matcher = depth.matcher(Http.get(metricsUrl()).body());
            assertTrue(matcher.find(), "queue depth of " + E2eStack.QWEN + " is exported");
            assertEquals(0.0, Double.parseDouble(matcher.group(1)));
        });
    }

    @Test
    void shouldCountTheRecordsNoConsumerTookWhenMeasuredOnTheBroker() throws Exception {
        final String topic = "ops-it-backlog";
        try (Admin admin = Admin.create(KafkaClientProps.common(stack.settings()))) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(2), Optional.empty()))).all()
                    .get(30, TimeUnit.SECONDS);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(KafkaClientProps.producer(stack.settings()),
                    new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 5; i++) {
                    producer.send(new ProducerRecord<>(topic, "key-" + i, "waiting")).get(30, TimeUnit.SECONDS);
                }
            }
            final SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (QueueDepth depth = QueueDepth.start(admin, registry, Duration.ofMillis(200))) {
                depth.add(new QueueDepth.Queue("test.queue.depth", Tags.of("topic", topic), topic, "nobody-reads-this"));

                await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertEquals(5.0, registry.get("test.queue.depth").gauge().value()));
            }
            assertTrue(registry.find("test.queue.depth").gauge() == null, "closing removes the gauge");
        }
    }
}
