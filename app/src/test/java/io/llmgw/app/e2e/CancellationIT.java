package io.llmgw.app.e2e;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.OpenAIException;
import io.llmgw.gateway.RequestIdMint;
import io.llmgw.gateway.ReplyPartitions;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.simulator.ClientCancel;
import io.llmgw.simulator.LlmSimulator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that goes away stops the work it asked for: the gateway notices, publishes a cancel, and the worker aborts
 * the upstream call (the simulator sees its connection close) or, for a request still queued, skips it. The time from
 * the client's close to the upstream socket closing is measured and logged.
 */
class CancellationIT {

    private static final Logger LOG = LoggerFactory.getLogger(CancellationIT.class);
    private static final Duration WITHIN = Duration.ofSeconds(1);

    private static E2eStack stack;
    private static LlmSimulator host;

    @BeforeAll
    static void startStack() {
        stack = E2eStack.shared();
        host = stack.stack().simulator();
    }

    private static String chat(final String model, final String key, final boolean stream, final String xSim) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"cancel " + key + "\"}],\"x_sim\":{\"key\":\"" + key + "\"" + xSim + "}}";
    }

    private static ClientCancel awaitUpstreamClosed(final String key) {
        await().atMost(Duration.ofSeconds(5)).until(() -> cancelOf(key).isPresent());
        return cancelOf(key).orElseThrow();
    }

    private static Optional<ClientCancel> cancelOf(final String key) {
        return host.clientCancels().stream().filter(cancel -> cancel.key().equals(key)).findFirst();
    }

    private static Duration measured(final String what, final RawHttp client, final ClientCancel upstream) {
        final Duration took = Duration.between(client.closedAt(), upstream.at());
        LOG.info("client disconnect -> upstream socket closed ({}): {} ms", what, took.toMillis());
        return took;
    }

    @Test
    void shouldAbortTheUpstreamCallWithinASecondWhenANonStreamingClientDisconnects() throws Exception {
        final RawHttp client = RawHttp.post(stack.gatewayUrl() + "/chat/completions",
                chat(E2eStack.QWEN, "cancel-json", false, ",\"ttft_ms\":20000"));
        await().atMost(Duration.ofSeconds(10)).until(() -> host.requestsForKey("cancel-json") == 1);

        client.close();

        final Duration took = measured("non-streaming", client, awaitUpstreamClosed("cancel-json"));
        assertTrue(took.compareTo(WITHIN) < 0, "upstream closed within a second: " + took);
        await().atMost(Duration.ofSeconds(5)).until(() -> Http.get(stack.gatewayUrl().replace("/v1", "/metrics"))
                .body().contains("llmgw_gateway_cancels_total{reason=\"client_disconnected\"}"));
        await().atMost(Duration.ofSeconds(5)).until(() -> workerCancelled(E2eStack.QWEN, "client_disconnected"));
    }

    @Test
    void shouldAbortAStreamWithinASecondWhenItsClientDisconnectsMidStream() throws Exception {
        final String id;
        final RawHttp client = RawHttp.post(stack.gatewayUrl() + "/chat/completions",
                chat(E2eStack.GPT, "cancel-stream", true, ",\"tokens\":400,\"tokens_per_second\":20"));
        id = client.readUntil("X-Request-Id:").substring("X-Request-Id:".length()).strip();
        client.readUntil("data: {");

        client.close();

        final ClientCancel upstream = awaitUpstreamClosed("cancel-stream");
        final Duration took = measured("streaming", client, upstream);
        assertTrue(took.compareTo(WITHIN) < 0, "upstream closed within a second: " + took);
        assertTrue(upstream.eventsSent() > 0 && upstream.eventsSent() < 100, "cut mid-stream: " + upstream);
        Results.awaitStatus(stack.gatewayUrl(), id, "cancelled");
    }

    @Test
    void shouldAbortAStreamStillWaitingForItsFirstTokenWhenItsClientDisconnects() throws Exception {
        final RawHttp client = RawHttp.post(stack.gatewayUrl() + "/chat/completions",
                chat(E2eStack.GPT, "cancel-first-token", true, ",\"ttft_ms\":20000"));
        await().atMost(Duration.ofSeconds(10)).until(() -> host.requestsForKey("cancel-first-token") == 1);

        client.close();

        final Duration took = measured("stream before its first token", client,
                awaitUpstreamClosed("cancel-first-token"));
        assertTrue(took.compareTo(WITHIN) < 0, "long before the 15 s keep-alive would notice: " + took);
    }

    @Test
    void shouldStopTheWorkWhenTheSdkGivesUpOnItsOwnTimeout() {
        final OpenAIClient impatient = OpenAIOkHttpClient.builder().apiKey("token").baseUrl(stack.gatewayUrl())
                .maxRetries(0).timeout(Duration.ofMillis(1_500)).build();

        assertThrows(OpenAIException.class, () -> impatient.chat().completions().create(
                PredecessorCalls.chat(E2eStack.QWEN, "sdk timeout").toBuilder()
                        .putAdditionalBodyProperty("x_sim", JsonValue.from(Map.of("key", "cancel-sdk",
                                "ttft_ms", 20_000)))
                        .build()));

        awaitUpstreamClosed("cancel-sdk");
    }

    @Test
    void shouldSkipAQueuedRequestWhoseClientDisconnected() throws Exception {
        final String model = "cancel-queue-model";
        try (DedicatedWorker ignored = DedicatedWorker.start(stack, model, Map.of("WORKER_CONCURRENCY", "1"))) {
            final CompletableFuture<Http.Reply> longOne = CompletableFuture.supplyAsync(() -> {
                try {
                    return Http.post(stack.gatewayUrl() + "/chat/completions",
                            chat(model, "cancel-queue-long", false, ",\"ttft_ms\":3000"));
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> host.requestsForKey("cancel-queue-long") == 1);
            final double waitingBefore = pendingRequests();
            final RawHttp queued = RawHttp.post(stack.gatewayUrl() + "/chat/completions",
                    chat(model, "cancel-queue-short", false, ""));
            // published and waiting behind the long one
            await().atMost(Duration.ofSeconds(10)).until(() -> pendingRequests() > waitingBefore);

            queued.close();

            // ended by the worker while the long request still holds the only slot
            await().atMost(Duration.ofSeconds(5)).until(() -> workerCancelled(model, "client_disconnected"));
            assertTrue(!longOne.isDone(), "the long request was still running when the queued one was skipped");
            assertEquals(200, longOne.get(30, TimeUnit.SECONDS).status());
            assertEquals(0, host.requestsForKey("cancel-queue-short"), "the LLM host never saw it");
        }
    }

    /**
     * The control topic is read from a little before "now" when a worker starts: a cancel published before the
     * worker ran (or while it restarted) still stops a request that waits in its topic.
     */
    @Test
    void shouldSkipARequestCancelledBeforeItsWorkerStarted() throws Exception {
        final String model = "cancel-before-start-model";
        final Topics topics = new Topics(Topics.DEFAULT_PREFIX);
        final String id = new RequestIdMint(ReplyPartitions.all(3), 3).next();
        final RequestEnvelope envelope = new RequestEnvelope(id, Endpoint.CHAT_COMPLETIONS, model, false,
                (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(
                        chat(model, "cancel-before-start", false, "")),
                System.currentTimeMillis(), System.currentTimeMillis() + 60_000,
                new RequestIdMint(ReplyPartitions.all(3), 3).partitionOf(id), "test", null, 1, false);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClientProps.producer(stack.settings()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            send(producer, topics.control(), id, new CancelCommand(id, CancelReason.CLIENT_DISCONNECTED,
                    System.currentTimeMillis()));
            try (DedicatedWorker ignored = DedicatedWorker.start(stack, model, Map.of())) {
                send(producer, topics.modelRequests(model), id, envelope);
                Results.awaitStatus(stack.gatewayUrl(), id, "cancelled");
            }
        }
        assertEquals(0, host.requestsForKey("cancel-before-start"));
    }

    /** Whether a worker of {@code model} counted a cancel for {@code reason} (in the stack's one registry). */
    private static boolean workerCancelled(final String model, final String reason) {
        return stack.stack().metrics().registry().find("llmgw.worker.cancellations")
                .tag("model", model).tag("reason", reason).counter() != null;
    }

    /** The gateway's gauge of clients waiting for their reply. */
    private static double pendingRequests() throws Exception {
        return Http.get(stack.gatewayUrl().replace("/v1", "/metrics")).body().lines()
                .filter(line -> line.startsWith("llmgw_gateway_pending_requests "))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
                .findFirst().orElseThrow();
    }

    private static <V> void send(final KafkaProducer<byte[], byte[]> producer, final Topic<String, V> topic,
                                 final String key, final V value) throws Exception {
        producer.send(new ProducerRecord<>(topic.name(), key.getBytes(StandardCharsets.UTF_8),
                topic.valueSerde().encode(value))).get(10, TimeUnit.SECONDS);
    }
}
