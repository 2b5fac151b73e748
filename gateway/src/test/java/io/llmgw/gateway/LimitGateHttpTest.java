package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.llmgw.limits.LimitCommand;
import io.llmgw.limits.LimitDecision;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.Topics;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The limit check over HTTP with a scripted owner: what a limited key's client sees, and who pays a round trip. */
class LimitGateHttpTest {

    private static final MediaType JSON = MediaType.get("application/json");
    private static final String STATIC_KEY = "sk-static";
    private static final String CHAT = "{\"model\":\"gpt-4o\",\"max_tokens\":50,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private final OkHttpClient client = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(5)).build();
    private final RecordingPublisher publisher = new RecordingPublisher();
    private final PendingReplies replies = new PendingReplies();
    private final FakeKeys keys = new FakeKeys();
    private final ScriptedOwner owner = new ScriptedOwner();
    private Javalin app;
    private String base;

    /** Answers reservations with {@link #answer} and records what it was asked and what was given back. */
    private static final class ScriptedOwner implements LimitGate.Reserver {
        final BlockingQueue<LimitCommand> asked = new LinkedBlockingQueue<>();
        final BlockingQueue<String> released = new LinkedBlockingQueue<>();
        final BlockingQueue<String> finished = new LinkedBlockingQueue<>();
        volatile Function<LimitCommand, LimitReservations.Answer> answer;

        @Override
        public LimitReservations.Answer reserve(final LimitCommand command, final Duration timeout) {
            asked.add(command);
            return answer.apply(command);
        }

        @Override
        public void release(final String requestId, final String keyId) {
            released.add(requestId);
        }

        @Override
        public void finish(final String requestId, final String keyId, final Duration timeout) {
            finished.add(requestId);
        }
    }

    @AfterEach
    void stop() {
        client.connectionPool().evictAll();
        if (app != null) {
            app.stop();
        }
    }

    private void start(final LimitsConfig.WhenUnavailable whenUnavailable) {
        final ReplyPartitions partitions = ReplyPartitions.parse("0-5");
        final GatewayConfig config = new GatewayConfig("127.0.0.1", 0, Set.of(STATIC_KEY), 4096,
                Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(15), Optional.of(partitions),
                "gw-test", new Topics("test"), Duration.ofHours(1), "127.0.0.1", 2);
        final GatewayMetrics metrics = new GatewayMetrics();
        app = new GatewayHttp(config, FakeModels.of("gpt-4o"), publisher, replies, new RequestIdMint(partitions, 6),
                () -> true, () -> Map.of(), metrics, new FakeRequests(), new FakeEventLog(),
                new BearerAuth(config.apiKeys(), keys, java.time.Clock.systemUTC()),
                new LimitGate(owner, new LimitsConfig(whenUnavailable, Duration.ofSeconds(1), 6), metrics),
                new KeyNames(keys, true), null).create().start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + app.port();
        publisher.onPublish = envelope -> replies.dispatch(Events.complete(envelope.id(), 0, 1,
                Events.completion("ok")));
    }

    private Response chat(final String key) throws IOException {
        return client.newCall(new Request.Builder().url(base + "/v1/chat/completions")
                .header("Authorization", "Bearer " + key).post(RequestBody.create(CHAT, JSON)).build()).execute();
    }

    private static LimitReservations.Answer decided(final LimitCommand command, final boolean allowed,
                                                    final LimitDecision.RefusedBy by, final long retryAfterMs) {
        return new LimitReservations.Answer.Decided(new LimitDecision(command.requestId(), allowed, by,
                command.rpm(), allowed ? 4 : 0, 30_000, command.tpm(), 900, 1_500, command.maxConcurrent(), 1,
                retryAfterMs));
    }

    @Test
    void shouldAnswer429WithRetryAfterTheRateLimitHeadersAndTheLimitNamedWhenTheOwnerRefuses() throws Exception {
        start(LimitsConfig.WhenUnavailable.CLOSED);
        final String secret = keys.createLimited("team-a", 5, 1000, null);
        owner.answer = command -> decided(command, false, LimitDecision.RefusedBy.REQUESTS, 12_300);

        try (Response response = chat(secret)) {
            assertEquals(429, response.code());
            assertEquals("13", response.header("Retry-After"), "whole seconds, rounded up");
            assertEquals("5", response.header("x-ratelimit-limit-requests"));
            assertEquals("0", response.header("x-ratelimit-remaining-requests"));
            assertEquals("30s", response.header("x-ratelimit-reset-requests"));
            assertEquals("1000", response.header("x-ratelimit-limit-tokens"));
            assertEquals("900", response.header("x-ratelimit-remaining-tokens"));
            assertEquals("1.5s", response.header("x-ratelimit-reset-tokens"));
            final JsonNode error = Json.MAPPER.readTree(response.body().string()).path("error");
            assertEquals("rate_limit_exceeded", error.path("code").asText());
            assertEquals("requests", error.path("type").asText());
            assertTrue(error.path("message").asText().contains("requests per min (RPM): Limit 5"),
                    error.toString());
        }
        assertTrue(publisher.published.isEmpty(), "a refused request is never published");
    }

    @Test
    void shouldReserveThePromptAndMaxTokensAndSendTheHeadersOnASuccess() throws Exception {
        start(LimitsConfig.WhenUnavailable.CLOSED);
        final String secret = keys.createLimited("team-a", 5, 1000, 2);
        owner.answer = command -> decided(command, true, null, 0);

        final String id;
        try (Response response = chat(secret)) {
            assertEquals(200, response.code());
            assertEquals("4", response.header("x-ratelimit-remaining-requests"));
            assertEquals("1", response.header("x-ratelimit-remaining-concurrent"));
            id = response.header(GatewayHttp.REQUEST_ID_HEADER);
        }
        assertEquals(id, owner.finished.poll(), "a key with a concurrency limit hears of the answer at once");
        final LimitCommand asked = owner.asked.poll();
        assertEquals(LimitGate.tokensToReserve(io.llmgw.schemas.Endpoint.CHAT_COMPLETIONS,
                (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(CHAT)), asked.tokens());
        assertTrue(asked.tokens() > 50, "max_tokens plus the prompt's share");
        assertEquals(2, asked.maxConcurrent());
        assertTrue(owner.released.isEmpty(), "a published request is settled by its usage, not released");
    }

    @Test
    void shouldAnswer429WithItsOwnCodeWhenTheConcurrencyLimitRefuses() throws Exception {
        start(LimitsConfig.WhenUnavailable.CLOSED);
        final String secret = keys.createLimited("team-c", null, null, 1);
        owner.answer = command -> decided(command, false, LimitDecision.RefusedBy.CONCURRENT, 1_000);

        try (Response response = chat(secret)) {
            assertEquals(429, response.code());
            assertEquals("concurrency_limit_exceeded",
                    Json.MAPPER.readTree(response.body().string()).path("error").path("code").asText());
            assertNull(response.header("x-ratelimit-limit-requests"), "no trio for a limit the key does not have");
        }
    }

    @Test
    void shouldNotAskTheOwnerForAKeyWithoutLimitsOrForAStaticKey() throws Exception {
        start(LimitsConfig.WhenUnavailable.CLOSED);
        final String unlimited = keys.createLimited("free", null, null, null);
        owner.answer = command -> {
            throw new AssertionError("no round trip for " + command.keyId());
        };

        try (Response response = chat(unlimited)) {
            assertEquals(200, response.code());
            assertNull(response.header("x-ratelimit-limit-requests"));
        }
        try (Response response = chat(STATIC_KEY)) {
            assertEquals(200, response.code());
        }
        assertTrue(owner.asked.isEmpty());
    }

    @Test
    void shouldAnswer503WhenTheOwnerDoesNotAnswerAndLimitsFailClosed() throws Exception {
        start(LimitsConfig.WhenUnavailable.CLOSED);
        final String secret = keys.createLimited("team-a", 5, null, null);
        owner.answer = command -> new LimitReservations.Answer.Unavailable("no answer within 1000 ms");

        try (Response response = chat(secret)) {
            assertEquals(503, response.code());
            assertEquals("limits_unavailable",
                    Json.MAPPER.readTree(response.body().string()).path("error").path("code").asText());
        }
        assertTrue(publisher.published.isEmpty());
    }

    @Test
    void shouldLetTheRequestInWhenTheOwnerDoesNotAnswerAndLimitsFailOpen() throws Exception {
        start(LimitsConfig.WhenUnavailable.OPEN);
        final String secret = keys.createLimited("team-a", 5, null, null);
        owner.answer = command -> new LimitReservations.Answer.Unavailable("no answer within 1000 ms");

        try (Response response = chat(secret)) {
            assertEquals(200, response.code());
        }
        assertEquals(1, publisher.published.size());
    }

    @Test
    void shouldGiveThePlaceBackWhenKafkaRefusedThePublish() throws Exception {
        start(LimitsConfig.WhenUnavailable.CLOSED);
        final String secret = keys.createLimited("team-a", 5, null, null);
        owner.answer = command -> decided(command, true, null, 0);
        publisher.onPublish = envelope -> {
            throw new PublishException(ApiError.unavailable("Kafka is down"), false, null);
        };

        final String id;
        try (Response response = chat(secret)) {
            assertEquals(503, response.code());
            id = response.header(GatewayHttp.REQUEST_ID_HEADER);
        }
        assertEquals(id, owner.released.poll(), "the place of a request that never reached Kafka");
    }
}
