package io.llmgw.app;

import io.llmgw.app.broker.BrokerLib;
import io.llmgw.app.broker.EmbeddedKafka;
import io.llmgw.runtime.ProcessFailure;
import io.llmgw.schemas.DeadLetterHeaders;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.Settings;
import io.llmgw.simulator.LlmSimulator;
import io.llmgw.simulator.SimulatorConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10's operator test: malformed records of every kind written to every topic of a real broker (null keys and
 * values, not JSON, wrong types, ids that are not ids, a reply partition that does not exist, a record at the size
 * limit), then the three roles still serve JSON, streaming and async requests, stay ready, and the records that
 * one reader sees once are in the dead-letter topic with their reason.
 */
class PoisonRecordsIT {

    private static final String MODEL = "poison-model";
    private static final String PREFIX = "poison";
    private static final Duration START = Duration.ofSeconds(90);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Topics topics = new Topics(PREFIX);

    @TempDir
    Path dataDir;

    @Test
    void shouldServeEveryRoleWhenEveryTopicHoldsPoisonRecords() throws Exception {
        final EmbeddedKafka broker = EmbeddedKafka.start(dataDir.resolve("kafka"), BrokerLib.locate(),
                EmbeddedKafka.Options.defaults());
        try (LlmSimulator host = LlmSimulator.start(SimulatorConfig.defaults().withoutDelays())) {
            final Settings base = Settings.of(ThreeRoles.settings(broker.bootstrapServers(), PREFIX, dataDir, 2, 3));
            try (ThreeRoles roles = ThreeRoles.start(base, host.baseUrl(), MODEL, "poison-gateway")) {
                final String router = roles.router();
                final String worker = roles.worker();
                final String gateway = roles.gateway();
                awaitReady(router, worker, gateway);
                assertEquals(200, chat(gateway, false, null).statusCode(), "served before the poison");

                final int written = writePoison(broker.bootstrapServers());

                // every role goes on serving: JSON, a stream, and an async request looked up afterwards
                for (int i = 0; i < 3; i++) {
                    final HttpResponse<String> json = chat(gateway, false, null);
                    assertEquals(200, json.statusCode(), json.body());
                    assertTrue(json.body().contains("You said"), json.body());
                    final HttpResponse<String> stream = chat(gateway, true, null);
                    assertEquals(200, stream.statusCode(), stream.body());
                    assertTrue(stream.body().trim().endsWith("data: [DONE]"), stream.body());
                }
                final HttpResponse<String> submitted = chat(gateway, false, "respond-async");
                assertEquals(202, submitted.statusCode(), submitted.body());
                final String id = Json.MAPPER.readTree(submitted.body()).path("id").asText();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    final HttpResponse<String> found = get(gateway + "/v1/requests/" + id);
                    assertEquals(200, found.statusCode(), found.body());
                    assertEquals("completed", Json.MAPPER.readTree(found.body()).path("status").asText());
                });
                for (final String process : List.of(router, worker, gateway)) {
                    assertEquals(200, get(process + "/ready").statusCode(), process + " is still ready");
                    assertEquals(200, get(process + "/health").statusCode(), process + " is still alive");
                }
                assertFalse(ProcessFailure.process().hasFailed(), ProcessFailure.process().reason().orElse(""));

                final Set<String> stages = deadLetterStages(broker.bootstrapServers());
                assertTrue(stages.containsAll(List.of("router", "worker", "gateway-results")),
                        "dead letters by stage: " + stages);
                final String metrics = get(gateway + "/metrics").body();
                assertTrue(metrics.contains("llmgw_gateway_reply_records_total{outcome=\"unreadable\"}"), metrics);
                assertTrue(written > 0);
            }
        } finally {
            broker.close();
        }
    }

    /** The poison, written to every topic of the deployment; returns how many records were accepted. */
    private int writePoison(final String bootstrap) throws Exception {
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2_000_000);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // a refused record (null key on the compacted registry) must not stall the others behind sequence numbers
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        final List<Future<?>> sent = new ArrayList<>();
        int accepted = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            final List<String> names = List.of(topics.requests().name(), topics.modelRequestsName(MODEL),
                    topics.events().name(), topics.control().name(), topics.models().name());
            for (final String topic : names) {
                for (final Map.Entry<String, byte[]> poison : poison()) {
                    if (poison.getKey() == null && topic.equals(topics.models().name())) {
                        continue; // the broker refuses null keys on a compacted topic
                    }
                    sent.add(producer.send(new ProducerRecord<>(topic, poison.getKey(), poison.getValue())));
                }
                for (int partition = 0; partition < 3 && topic.equals(topics.events().name()); partition++) {
                    sent.add(producer.send(new ProducerRecord<>(topic, partition, null, bytes("{\"seq\":1}"))));
                }
            }
            producer.flush();
            for (final Future<?> future : sent) {
                try {
                    future.get();
                    accepted++;
                } catch (final java.util.concurrent.ExecutionException e) {
                    // a compacted topic refuses null keys; the size limit refuses the largest record: fine
                }
            }
        }
        return accepted;
    }

    private static List<Map.Entry<String, byte[]>> poison() {
        final List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        records.add(new java.util.AbstractMap.SimpleEntry<>(null, null));
        records.add(new java.util.AbstractMap.SimpleEntry<>(null, bytes("{\"id\":\"req_x\",\"seq\":0,\"type\":\"complete\"}")));
        records.add(new java.util.AbstractMap.SimpleEntry<>("req_poison", null));
        records.add(new java.util.AbstractMap.SimpleEntry<>("req_poison", bytes("not json at all")));
        records.add(new java.util.AbstractMap.SimpleEntry<>("req_poison", bytes("[1, 2, 3]")));
        records.add(new java.util.AbstractMap.SimpleEntry<>("req_poison", bytes("{\"id\": 42, \"seq\": \"x\", "
                + "\"type\": [], \"stream\": \"yes\", \"deadlineMs\": \"soon\"}")));
        records.add(new java.util.AbstractMap.SimpleEntry<>("../../etc", bytes("{\"id\":\"../../etc\","
                + "\"endpoint\":\"chat.completions\",\"model\":\"" + MODEL + "\",\"stream\":false,"
                + "\"body\":{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]},"
                + "\"receivedAtMs\":0,\"deadlineMs\":9223372036854775807,\"replyPartition\":99999,"
                + "\"attempt\":-3,\"seq\":-9,\"type\":\"error\",\"status\":99999}")));
        records.add(new java.util.AbstractMap.SimpleEntry<>("req_huge", new byte[1_040_000]));
        records.add(new java.util.AbstractMap.SimpleEntry<>("req_binary", new byte[]{(byte) 0xff, 0, (byte) 0xfe}));
        return records;
    }

    private Set<String> deadLetterStages(final String bootstrap) {
        final Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", "poison-dlq-reader");
        props.put("auto.offset.reset", "earliest");
        final Set<String> stages = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.dlqName()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    final var stage = record.headers().lastHeader(DeadLetterHeaders.STAGE);
                    assertTrue(record.headers().lastHeader(DeadLetterHeaders.REASON) != null, "a reason");
                    if (stage != null) {
                        stages.add(new String(stage.value(), StandardCharsets.UTF_8));
                    }
                }
                return stages.containsAll(List.of("router", "worker", "gateway-results"));
            });
        }
        return stages;
    }

    private void awaitReady(final String... processes) {
        await().atMost(START).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            for (final String process : processes) {
                assertEquals(200, get(process + "/ready").statusCode(), process + " ready");
            }
        });
    }

    private HttpResponse<String> chat(final String gateway, final boolean stream, final String prefer)
            throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + MODEL + "\",\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"));
        if (prefer != null) {
            request.header("Prefer", prefer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(final String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] bytes(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

}
