package io.llmgw.app.keys;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.app.e2e.E2eStack;
import io.llmgw.app.usage.UsageCommand;
import io.llmgw.keys.KeySecret;
import io.llmgw.limits.LimitCommand;
import io.llmgw.limits.LimitDecision;
import io.llmgw.limits.UsageRecord;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.simulator.ReceivedRequest;
import io.llmgw.simulator.SimulatedReply;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Limits end to end: two gateway instances on a real broker share every limited key's counts through the limits app
 * (one owner per key), and every finished request leaves one usage record that matches what the LLM host received.
 * On the {@link KeyedStack} it shares with {@code KeysIT}.
 */
class LimitsIT {

    private static final String PREFIX = KeyedStack.PREFIX;
    private static E2eStack stack;
    private static List<String> gateways;
    private static HttpClient http;

    @BeforeAll
    static void start() throws InterruptedException {
        final KeyedStack keyed = KeyedStack.shared();
        stack = keyed.stack;
        gateways = keyed.gateways;
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        http.close();
    }

    @Test
    void shouldAdmitExactly30Of60RequestsOverBothGatewaysAndRecordTheUsageTheHostSaw() throws Exception {
        final String secret = lastLine(keys("create", "--name", "rpm-team", "--rpm", "30"));
        awaitKnownEverywhere(secret);

        final List<HttpResponse<String>> answers = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(6)) {
            final List<Future<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                final String gateway = gateways.get(i % 2);
                final String body = chat("rpm-" + i, 20, "rpm-team");
                sent.add(clients.submit(() -> post(gateway, secret, body)));
            }
            for (final Future<HttpResponse<String>> answer : sent) {
                answers.add(answer.get());
            }
        }

        final List<HttpResponse<String>> ok = answers.stream().filter(a -> a.statusCode() == 200).toList();
        final List<HttpResponse<String>> limited = answers.stream().filter(a -> a.statusCode() == 429).toList();
        assertEquals(30, ok.size(), "exactly the key's rpm, whichever gateway took them: " + statuses(answers));
        assertEquals(30, limited.size(), statuses(answers));
        assertTrue(ok.stream().map(a -> a.uri().getPort()).distinct().count() == 2, "both gateways admitted some");
        for (final HttpResponse<String> answer : answers) {
            assertEquals("30", answer.headers().firstValue("x-ratelimit-limit-requests").orElse(null));
            assertTrue(answer.headers().firstValue("x-ratelimit-remaining-requests").isPresent());
            assertTrue(answer.headers().firstValue("x-ratelimit-reset-requests").orElse("").endsWith("s"));
        }
        for (final HttpResponse<String> refusal : limited) {
            final long retryAfter = Long.parseLong(refusal.headers().firstValue("Retry-After").orElseThrow());
            assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
            assertEquals("0", refusal.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
            final JsonNode error = Json.MAPPER.readTree(refusal.body()).path("error");
            assertEquals("rate_limit_exceeded", error.path("code").asText(), refusal.body());
            assertTrue(error.path("message").asText().contains("requests per min (RPM): Limit 30"), refusal.body());
        }

        // one usage record per finished request, and the host's own count of what it got
        final List<UsageRecord> usage = awaitUsage("rpm-team", 30);
        final List<ReceivedRequest> received = stack.stack().simulator().recentRequests().stream()
                .filter(r -> r.simKey().orElse("").equals("rpm-team")).toList();
        assertEquals(30, received.size(), "the host got exactly the admitted requests");
        assertEquals(received.stream().mapToLong(r -> SimulatedReply.promptTokensFor(r.body())).sum(),
                usage.stream().mapToLong(UsageRecord::promptTokens).sum(), "prompt tokens as the host counted them");
        long completionTokens = 0;
        for (final HttpResponse<String> answer : ok) {
            completionTokens += Json.MAPPER.readTree(answer.body()).path("usage").path("completion_tokens").asLong();
        }
        assertEquals(completionTokens, usage.stream().mapToLong(UsageRecord::completionTokens).sum());
        assertTrue(usage.stream().allMatch(r -> r.status() == 200 && r.model().equals(E2eStack.GPT)
                && r.endpoint().equals("chat.completions") && r.queueWaitMs() >= 0 && r.latencyMs() > 0));

        final ByteArrayOutputStream table = new ByteArrayOutputStream();
        assertEquals(0, UsageCommand.run(stack.settings(), List.of("--key", "rpm-team", "--since", "10m"),
                new PrintStream(table, true, StandardCharsets.UTF_8), quiet()));
        assertTrue(table.toString(StandardCharsets.UTF_8).lines()
                .anyMatch(line -> line.matches("rpm-team\\s+" + E2eStack.GPT + "\\s+30\\s+0\\s+.*")), table.toString());
    }

    @Test
    void shouldRefuseASecondRequestAtOnceAndNeverASequentialOneWhenTheKeyAllowsOneAtATime() throws Exception {
        final String secret = lastLine(keys("create", "--name", "one-at-a-time", "--max-concurrent", "1"));
        awaitKnownEverywhere(secret);

        try (ExecutorService clients = Executors.newSingleThreadExecutor()) {
            final Future<HttpResponse<String>> slow = clients.submit(() -> post(gateways.get(0), secret,
                    chat("slow", 5, "conc-slow").replace("\"key\":", "\"ttft_ms\":3000,\"key\":")));
            // the slow one is at the host, holding the key's one place
            await().atMost(Duration.ofSeconds(10)).until(() -> stack.stack().simulator().requestsForKey("conc-slow") == 1);
            final HttpResponse<String> second = post(gateways.get(1), secret, chat("second", 5, "conc-second"));
            assertEquals(429, second.statusCode(), second.body());
            assertEquals("concurrency_limit_exceeded",
                    Json.MAPPER.readTree(second.body()).path("error").path("code").asText());
            assertEquals("0", second.headers().firstValue("x-ratelimit-remaining-concurrent").orElseThrow());
            assertTrue(second.headers().firstValue("Retry-After").isPresent());
            assertEquals(200, slow.get().statusCode());
        }
        // an answered request stops counting before its client reads it: back to back never collides
        for (int i = 0; i < 6; i++) {
            final HttpResponse<String> answer = post(gateways.get(i % 2), secret, chat("next-" + i, 5, "conc-next"));
            assertEquals(200, answer.statusCode(), "sequential request " + i + ": " + answer.body());
        }
    }

    @Test
    void shouldSettleTheReservedTokensWithTheUsageOfEachFinishedRequest() throws Exception {
        // each request reserves its prompt's share and max_tokens 400: three unsettled reservations would pass 1000
        final String secret = lastLine(keys("create", "--name", "tpm-team", "--tpm", "1000"));
        final String keyId = "key_" + KeySecret.idOf(secret).orElseThrow();
        awaitKnownEverywhere(secret);

        long used = 0;
        try (OwnerProbe probe = new OwnerProbe()) {
            // four requests of about 430 reserved tokens each fit a 1000-token minute only if each one settles
            for (int i = 0; i < 4; i++) {
                final HttpResponse<String> answer = post(gateways.get(i % 2), secret,
                        chat("tpm-" + i, 400, "tpm-team"));
                assertEquals(200, answer.statusCode(), "request " + i + " fits once the earlier ones settled: "
                        + answer.body());
                assertEquals("1000", answer.headers().firstValue("x-ratelimit-limit-tokens").orElseThrow());
                used += Json.MAPPER.readTree(answer.body()).path("usage").path("total_tokens").asLong();
                // the owner's own count: the limit minus what was used, no reservation left over once it settled
                final long expected = 1000 - used;
                await().atMost(Duration.ofSeconds(10)).until(() -> probe.remainingTokens(keyId) == expected);
            }
            assertTrue(used < 1000 - 2 * 420, "the simulator's answers are short: " + used);
            assertEquals(used, awaitUsage("tpm-team", 4).stream().mapToLong(UsageRecord::totalTokens).sum());
            measureRoundTrips(probe, keyId);
        }
        printLimitCheckLatency();
    }

    /**
     * What a limit check costs, measured the way a gateway makes one (send to the key's owner, read its answer),
     * sequentially, once the stack is warm; printed, not asserted (speed targets live in the benchmark).
     */
    private static void measureRoundTrips(final OwnerProbe probe, final String keyId) throws Exception {
        final int rounds = 50;
        final long[] checks = new long[rounds];
        final long[] floor = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long started = System.nanoTime();
            assertEquals(true, probe.remainingTokens(keyId) >= 0, "the owner answered probe " + i);
            checks[i] = System.nanoTime() - started;
            started = System.nanoTime();
            assertEquals(true, probe.echo("floor-" + i), "the floor's record came back " + i);
            floor[i] = System.nanoTime() - started;
        }
        System.out.printf("LimitsIT: %d sequential limit checks (send to the owner, read its answer): %s;"
                + " bare Kafka floor (produce, read back, same clients): %s%n", rounds, quantiles(checks),
                quantiles(floor));
    }

    private static String quantiles(final long[] nanos) {
        final long[] sorted = nanos.clone();
        java.util.Arrays.sort(sorted);
        return String.format("p50 %.2f ms, p99 %.2f ms", sorted[sorted.length / 2] / 1e6,
                sorted[sorted.length * 99 / 100] / 1e6);
    }

    /** Asks the key's owner directly (a reservation of no tokens, no request limit), as a gateway does. */
    private static final class OwnerProbe implements AutoCloseable {
        private final Topics topics = new Topics(PREFIX);
        private final KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                KafkaClientProps.producer(stack.settings()), new StringSerializer(), new ByteArraySerializer());
        private final KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                KafkaClientProps.consumer(stack.settings()), new StringDeserializer(), new ByteArrayDeserializer());
        private int asked;

        OwnerProbe() {
            final TopicPartition decisions = new TopicPartition(topics.limitDecisions().name(), 0);
            consumer.assign(List.of(decisions));
            consumer.seekToEnd(List.of(decisions));
            consumer.position(decisions);
        }

        long remainingTokens(final String keyId) throws Exception {
            final String id = "probe-" + asked++;
            producer.send(new ProducerRecord<>(topics.limits().name(), keyId, topics.limits().valueSerde().encode(
                    LimitCommand.reserve(id, keyId, null, 1000, null, 0, System.currentTimeMillis() + 1_000)))).get();
            final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < deadline) {
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (id.equals(record.key()) && topics.limitDecisions().valueSerde().decode(record.value())
                            instanceof Decoded.Ok<LimitDecision> ok) {
                        return ok.value().remainingTokens();
                    }
                }
            }
            return -1;
        }

        /** The floor: a record produced to the decisions topic and read back, no owner in between. */
        boolean echo(final String id) throws Exception {
            producer.send(new ProducerRecord<>(topics.limitDecisions().name(), 0, id, new byte[] {'{', '}'})).get();
            final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < deadline) {
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (id.equals(record.key())) {
                        return true;
                    }
                }
            }
            return false;
        }

        @Override
        public void close() {
            producer.close();
            consumer.close();
        }
    }

    private static void printLimitCheckLatency() throws Exception {
        for (final String gateway : gateways) {
            final String metrics = http.send(HttpRequest.newBuilder(URI.create(gateway.replace("/v1", "/metrics")))
                    .GET().build(), HttpResponse.BodyHandlers.ofString()).body();
            final String quantiles = metrics.lines()
                    .filter(line -> line.startsWith("llmgw_gateway_limit_check_seconds{quantile=")
                            || line.startsWith("llmgw_gateway_limit_check_seconds_count"))
                    .reduce((a, b) -> a + "  " + b).orElse("none");
            System.out.printf("LimitsIT: limit check at %s: %s%n", gateway, quantiles);
        }
    }

    private static List<UsageRecord> awaitUsage(final String keyName, final int count) {
        final List<UsageRecord> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(300)).until(() -> {
            found.clear();
            UsageCommand.readSince(stack.settings(), 0, record -> {
                if (keyName.equals(record.keyName())) {
                    found.add(record);
                }
            });
            return found.size() >= count;
        });
        assertEquals(count, found.size(), "one usage record per finished request");
        assertEquals(count, found.stream().map(UsageRecord::requestId).distinct().count());
        return List.copyOf(found);
    }

    private static void awaitKnownEverywhere(final String secret) {
        for (final String gateway : gateways) {
            await().atMost(Duration.ofSeconds(5)).until(() -> http.send(HttpRequest.newBuilder(
                            URI.create(gateway + "/models")).header("Authorization", "Bearer " + secret).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        }
    }

    private static String chat(final String text, final int maxTokens, final String simKey) {
        return "{\"model\":\"" + E2eStack.GPT + "\",\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"count me " + text + "\"}],"
                + "\"x_sim\":{\"key\":\"" + simKey + "\"}}";
    }

    private static HttpResponse<String> post(final String gateway, final String secret, final String body)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway + "/chat/completions"))
                .header("Authorization", "Bearer " + secret).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String statuses(final List<HttpResponse<String>> answers) {
        return answers.stream().map(a -> Integer.toString(a.statusCode())).toList().toString();
    }

    private static String keys(final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = KeysCommand.run(stack.settings(), List.of(args),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, "keys " + String.join(" ", args));
        assertEquals("", err.toString(StandardCharsets.UTF_8), "limits are enforced: no warning any more");
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String lastLine(final String text) {
        return text.strip().lines().toList().getLast();
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
