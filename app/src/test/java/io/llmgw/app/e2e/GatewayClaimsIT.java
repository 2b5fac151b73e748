package io.llmgw.app.e2e;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.llmgw.gateway.GatewayServer;
import io.llmgw.gateway.RequestIdMint;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.simulator.ClientCancel;
import io.llmgw.simulator.LlmSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, parts 3, 4 and 5: gateways claim their reply partitions in a consumer group. Its own stack (broker, router,
 * worker, simulator, one gateway) under the prefix {@code claims} with six events partitions; more gateways join in
 * this JVM, or in JVMs of their own where a SIGKILL is the point.
 */
class GatewayClaimsIT {

    private static final int EVENT_PARTITIONS = 6;
    /** Streams open while the third gateway joins: enough that some run on a moved partition ((2/3)^18 < 0.1%). */
    private static final int STREAMS = 18;
    private static final String MODEL = E2eStack.GPT;
    private static final Pattern REPLY_RECORDS =
            Pattern.compile("llmgw_gateway_reply_records_total\\{outcome=\"(\\w+)\"[^}]*} ([0-9.eE+]+)");

    private static E2eStack stack;
    private static Map<String, String> settings;
    private static LlmSimulator host;

    @BeforeAll
    static void start() {
        final Map<String, String> extra = new HashMap<>();
        extra.put("TOPIC_PREFIX", "claims");
        extra.put("EVENT_PARTITIONS", Integer.toString(EVENT_PARTITIONS));
        extra.put("WORKER_CONCURRENCY", "32");
        extra.put("GATEWAY_REQUEST_TIMEOUT", "120");
        // the shared stack's broker, topics of its own: a broker JVM less to start
        extra.put(KafkaClientProps.BOOTSTRAP_SERVERS, E2eStack.shared().settings()
                .get(KafkaClientProps.BOOTSTRAP_SERVERS).orElseThrow());
        stack = E2eStack.start(extra);
        host = stack.stack().simulator();
        settings = new HashMap<>(E2eStack.baseSettings());
        settings.putAll(extra);
        settings.put(KafkaClientProps.BOOTSTRAP_SERVERS,
                stack.settings().get(KafkaClientProps.BOOTSTRAP_SERVERS).orElseThrow());
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void shouldSplitThePartitionsAndStrandNoStreamWhenAThirdGatewayJoinsMidStream() throws Exception {
        final GatewayServer first = stack.stack().gateway();
        try (GatewayServer second = GatewayServer.start(inProcess("second"));
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            awaitSplit(List.of(first, second));
            final List<CompletableFuture<Streamed>> streams = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                final GatewayServer via = i % 2 == 0 ? first : second;
                final String key = "join-" + i;
                streams.add(CompletableFuture.supplyAsync(() -> stream(client(via), key, 40, 4), clients));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (final CompletableFuture<Streamed> future : streams) {
                    if (future.isCompletedExceptionally()) {
                        future.join(); // fails the test with the stream's own exception
                    }
                }
                return host.openStreams() >= STREAMS;
            });
            final Map<Integer, String> before = owners(List.of(first, second));

            try (GatewayServer third = GatewayServer.start(inProcess("third"))) {
                awaitSplit(List.of(first, second, third));
                final Map<Integer, String> after = owners(List.of(first, second, third));
                int onMoved = 0;
                for (final CompletableFuture<Streamed> future : streams) {
                    final Streamed streamed = future.get(60, TimeUnit.SECONDS);
                    assertEquals(40, streamed.deltas(), "every chunk of " + streamed);
                    assertTrue(streamed.finished(), "finished: " + streamed);
                    if (!before.get(streamed.partition()).equals(after.get(streamed.partition()))) {
                        onMoved++;
                    }
                }
                System.out.printf("GatewayClaimsIT: claims before the join %s, after %s; %d of %d streams ran on a"
                        + " partition that moved%n", before, after, onMoved, STREAMS);
                assertTrue(onMoved > 0, "some stream ran on a moved partition: " + before + " -> " + after);
                for (final GatewayServer via : List.of(first, second, third)) {
                    assertFalse(syncAnswer(client(via)).isBlank(), "a sync answer through " + via.port());
                }
            }
        }
    }

    private static String syncAnswer(final OpenAIClient client) {
        return client.chat().completions().create(PredecessorCalls.chat(MODEL, "sync through a claim"))
                .choices().getFirst().message().content().orElseThrow();
    }

    /** One stream's outcome: its request's events partition, how many content deltas arrived, whether it ended. */
    record Streamed(String key, int partition, int deltas, boolean finished) {
    }

    private static Streamed stream(final OpenAIClient client, final String key, final int tokens, final int perSecond) {
        final ChatCompletionCreateParams params = PredecessorCalls.chat(MODEL, "stream " + key).toBuilder()
                .putAdditionalBodyProperty("x_sim", JsonValue.from(Map.of("key", key, "tokens", tokens,
                        "tokens_per_second", perSecond)))
                .build();
        try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> response =
                     client.chat().completions().withRawResponse().createStreaming(params)) {
            final String id = response.headers().values("X-Request-Id").getFirst();
            int deltas = 0;
            boolean finished = false;
            try (StreamResponse<ChatCompletionChunk> chunks = response.parse()) {
                for (final ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) chunks.stream()::iterator) {
                    for (final ChatCompletionChunk.Choice choice : chunk.choices()) {
                        if (choice.delta().content().filter(text -> !text.isEmpty()).isPresent()) {
                            deltas++;
                        }
                        finished |= choice.finishReason().isPresent();
                    }
                }
            }
            return new Streamed(key, RequestIdMint.partitionOf(id, EVENT_PARTITIONS), deltas, finished);
        }
    }

    private static Settings inProcess(final String name) throws java.io.IOException {
        final Map<String, String> values = new HashMap<>(settings);
        values.put("GATEWAY_PORT", "0");
        values.put("STATE_DIR", Files.createTempDirectory("llmgw-claims-" + name).toString());
        return Settings.of(values);
    }

    private static OpenAIClient client(final GatewayServer gateway) {
        return client("http://127.0.0.1:" + gateway.port() + "/v1");
    }

    private static OpenAIClient client(final String apiUrl) {
        return OpenAIOkHttpClient.builder().apiKey("token").baseUrl(apiUrl).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    /** Waits until the gateways hold disjoint claims that cover every events partition. */
    private static void awaitSplit(final List<GatewayServer> gateways) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            final Set<Integer> union = new HashSet<>();
            int total = 0;
            for (final GatewayServer gateway : gateways) {
                final Set<Integer> held = gateway.replyPartitions();
                if (held.isEmpty() || !gateway.isReady()) {
                    return false;
                }
                union.addAll(held);
                total += held.size();
            }
            return union.size() == EVENT_PARTITIONS && total == EVENT_PARTITIONS;
        });
    }

    private static Map<Integer, String> owners(final List<GatewayServer> gateways) {
        final Map<Integer, String> owners = new HashMap<>();
        gateways.forEach(gateway -> gateway.replyPartitions()
                .forEach(partition -> owners.put(partition, gateway.config().gatewayId())));
        return owners;
    }

    @Test
    void shouldCancelAKilledGatewaysWaitingCallsWithinTenSecondsAndKeepItsAsyncRequests() throws Exception {
        try (GatewayProcess doomed = GatewayProcess.start("doomed", jvm("claims-doomed"))) {
            awaitReady(doomed);
            final List<String> keys = List.of("doomed-0", "doomed-1", "doomed-2", "doomed-3");
            final List<RawHttp> waiting = new ArrayList<>();
            for (final String key : keys) {
                final RawHttp stream = RawHttp.post(doomed.apiUrl() + "/chat/completions", chat(key, true,
                        ",\"tokens\":2000,\"tokens_per_second\":10"));
                stream.readUntil("data: {");
                waiting.add(stream);
            }
            final Http.Reply async = Http.post(doomed.apiUrl() + "/chat/completions",
                    chat("doomed-async", false, ",\"ttft_ms\":9000"), "Prefer", "respond-async");
            assertEquals(202, async.status(), async.body());
            final String asyncId = async.json().path("id").asText();
            await().atMost(Duration.ofSeconds(30)).until(() -> host.requestsForKey("doomed-async") == 1);

            final Instant killedAt = Instant.now();
            doomed.kill();

            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> keys.stream().allMatch(key -> cancelOf(key).isPresent()));
            long slowestMs = 0;
            for (final String key : keys) {
                slowestMs = Math.max(slowestMs, Duration.between(killedAt, cancelOf(key).orElseThrow().at()).toMillis());
            }
            System.out.printf("GatewayClaimsIT: SIGKILL -> the host saw all %d streams cancelled after %d ms%n",
                    keys.size(), slowestMs);
            assertTrue(slowestMs < 10_000, "cancelled " + slowestMs + " ms after the kill (log " + doomed.log() + ")");

            // the async request of the dead gateway runs to its end, and any gateway answers for it
            final String survivor = "http://127.0.0.1:" + stack.stack().gateway().port() + "/v1";
            Results.awaitStatus(survivor, asyncId, "completed");
            assertTrue(cancelOf("doomed-async").isEmpty(), "the async request was never cancelled");
            for (final RawHttp stream : waiting) {
                stream.close();
            }
        }
    }

    @Test
    void shouldAnswerEveryLookupOfEarlierAsyncRequestsAtOnceAfterReadyWhenRestartedWithTheSameId()
            throws Exception {
        final Map<String, String> env = jvm("claims-phoenix");
        final List<String> ids = new ArrayList<>();
        try (GatewayProcess before = GatewayProcess.start("phoenix-1", env)) {
            awaitReady(before);
            for (int i = 0; i < 10; i++) {
                final Http.Reply async = Http.post(before.apiUrl() + "/chat/completions",
                        chat("phoenix-" + i, false, ""), "Prefer", "respond-async");
                assertEquals(202, async.status(), async.body());
                ids.add(async.json().path("id").asText());
            }
            for (final String id : ids) {
                Results.awaitStatus(before.apiUrl(), id, "completed");
            }
            before.kill();
        }
        try (GatewayProcess after = GatewayProcess.start("phoenix-2", env)) {
            awaitReady(after);
            final long readyAt = System.nanoTime();
            // /ready is 200 only when lookups work: each one answers at its first try, none is asked again
            final List<String> refused = new ArrayList<>();
            for (final String id : ids) {
                final Http.Reply lookup = Http.get(after.apiUrl() + "/requests/" + id);
                if (lookup.status() != 200) {
                    refused.add(id + ": " + lookup.status() + " " + lookup.body());
                }
            }
            final long tookMs = Duration.ofNanos(System.nanoTime() - readyAt).toMillis();
            System.out.printf("GatewayClaimsIT: restarted with the same GATEWAY_ID, %d of %d lookups answered at the"
                    + " first try, all within %d ms of /ready%n", ids.size() - refused.size(), ids.size(), tookMs);
            assertEquals(List.of(), refused, "lookups right after /ready (log " + after.log() + ")");
            assertTrue(tookMs < 5_000, "lookups answered " + tookMs + " ms after /ready (log " + after.log() + ")");
            assertEquals("completed", Http.get(after.apiUrl() + "/requests/" + ids.getFirst()).json()
                    .path("status").asText());
        }
    }

    /** Issue 10 part 7: a client that has seen the end on {@code /events} must see the end on the lookup too. */
    @Test
    void shouldNeverAnswerRunningRightAfterEventsDeliveredDone() throws Exception {
        final String api = "http://127.0.0.1:" + stack.stack().gateway().port() + "/v1";
        int lookups = 0;
        for (int i = 0; i < 25; i++) {
            final Http.Reply async = Http.post(api + "/chat/completions", chat("done-" + i, true,
                    ",\"tokens\":20,\"tokens_per_second\":400"), "Prefer", "respond-async");
            assertEquals(202, async.status(), async.body());
            final String id = async.json().path("id").asText();
            // a rebalance of the results (another test's gateway just left) answers a retryable 503: retry, as SDKs do
            final AtomicReference<Http.Reply> events = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                events.set(Http.get(api + "/requests/" + id + "/events"));
                return events.get().status() != 503;
            });
            assertTrue(events.get().body().contains("data: [DONE]"), events.get().body());
            final Http.Reply lookup = Http.get(api + "/requests/" + id);
            assertEquals(200, lookup.status(), lookup.body());
            assertEquals("completed", lookup.json().path("status").asText(), "right after [DONE]: " + lookup.body());
            lookups++;
        }
        assertEquals(25, lookups);
    }

    @Test
    void shouldReadAboutOnceWhatItDeliversWithOneTwoAndThreeGateways() throws Exception {
        final GatewayServer first = stack.stack().gateway();
        final List<GatewayServer> live = new ArrayList<>(List.of(first));
        final List<String> report = new ArrayList<>();
        try {
            awaitSplit(live);
            report.add(amplification(live));
            live.add(GatewayServer.start(inProcess("amp-2")));
            awaitSplit(live);
            report.add(amplification(live));
            live.add(GatewayServer.start(inProcess("amp-3")));
            awaitSplit(live);
            report.add(amplification(live));
        } finally {
            live.stream().skip(1).forEach(GatewayServer::close);
        }
        System.out.println("GatewayClaimsIT: read amplification (reply records read / delivered) with 1, 2, 3"
                + " gateways: " + report);
    }

    /** Sends 30 sync and 6 streaming requests spread over {@code gateways}; returns read/delivered over them. */
    private static String amplification(final List<GatewayServer> gateways) throws Exception {
        final double[] before = replyRecords(gateways);
        for (int i = 0; i < 30; i++) {
            syncAnswer(client(gateways.get(i % gateways.size())));
        }
        for (int i = 0; i < 6; i++) {
            stream(client(gateways.get(i % gateways.size())), "amp-" + gateways.size() + "-" + i, 10, 0);
        }
        // the last events (markers after a reply ended) may still be on their way: read once all have been counted
        final double[] after = new double[2];
        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ofMillis(500)).until(() -> {
            final double[] now = replyRecords(gateways);
            final boolean settled = now[0] == after[0];
            after[0] = now[0];
            after[1] = now[1];
            return settled;
        });
        final double read = after[0] - before[0];
        final double delivered = after[1] - before[1];
        assertTrue(delivered > 0, "nothing delivered; metrics: " + Http.get("http://127.0.0.1:"
                + gateways.getFirst().port() + "/metrics").body());
        final double ratio = read / delivered;
        assertTrue(ratio < 1.5, gateways.size() + " gateways read " + read + " records to deliver " + delivered);
        return String.format("%d gateway(s): %.0f read / %.0f delivered = %.2f", gateways.size(), read, delivered,
                ratio);
    }

    /** Sums over the gateways: {read, delivered} reply records so far. */
    private static double[] replyRecords(final List<GatewayServer> gateways) throws Exception {
        double read = 0;
        double delivered = 0;
        for (final GatewayServer gateway : gateways) {
            final Matcher line = REPLY_RECORDS.matcher(Http.get("http://127.0.0.1:" + gateway.port() + "/metrics")
                    .body());
            while (line.find()) {
                final double value = Double.parseDouble(line.group(2));
                read += value;
                if (line.group(1).equals("delivered")) {
                    delivered += value;
                }
            }
        }
        return new double[] {read, delivered};
    }

    private static Map<String, String> jvm(final String gatewayId) throws java.io.IOException {
        final Map<String, String> env = new HashMap<>();
        for (final String name : List.of(KafkaClientProps.BOOTSTRAP_SERVERS, "TOPIC_PREFIX", "EVENT_PARTITIONS",
                "REQUEST_PARTITIONS", "MODEL_PARTITIONS", "GATEWAY_REQUEST_TIMEOUT")) {
            env.put(name, settings.get(name));
        }
        env.put("GATEWAY_ID", gatewayId);
        env.put("STATE_DIR", Files.createTempDirectory("llmgw-claims-" + gatewayId).toString());
        return env;
    }

    private static void awaitReady(final GatewayProcess gateway) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> gateway.isAlive() && status(gateway.baseUrl() + "/ready") == 200);
    }

    private static int status(final String url) {
        try {
            return Http.get(url).status();
        } catch (final Exception e) {
            return -1;
        }
    }

    private static String chat(final String key, final boolean stream, final String xSim) {
        return "{\"model\":\"" + MODEL + "\",\"stream\":" + stream + ",\"max_tokens\":5000,\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"claims " + key + "\"}],\"x_sim\":{\"key\":\"" + key + "\"" + xSim + "}}";
    }

    private static Optional<ClientCancel> cancelOf(final String key) {
        return host.clientCancels().stream().filter(cancel -> cancel.key().equals(key)).findFirst();
    }
}
