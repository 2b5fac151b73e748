package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.Topics;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import okio.BufferedSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayHttpTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final MediaType JSON = MediaType.get("application/json");
    private static final String KEY = "sk-test";
    private static final String CHAT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String STREAM_CHAT =
            "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";

    private final OkHttpClient client = new OkHttpClient.Builder().readTimeout(WAIT).build();
    private final RecordingPublisher publisher = new RecordingPublisher();
    private final PendingReplies replies = new PendingReplies();
    private final FakeModels models = FakeModels.of("gpt-4o", "Qwen/Qwen2.5-72B-Instruct-AWQ");
    private final ReplyPartitions partitions = ReplyPartitions.parse("3-4");
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private final FakeRequests requests = new FakeRequests();
    private final FakeEventLog eventLog = new FakeEventLog();
    private final FakeKeys keys = new FakeKeys();
    private Javalin app;
    private String base;

    @AfterEach
    void stop() {
        // idle keep-alive connections would hold the server's graceful stop until they time out
        client.connectionPool().evictAll();
        if (app != null) {
            app.stop();
        }
    }

    private void start(final Duration requestTimeout, final Duration keepAlive) {
        final GatewayConfig config = new GatewayConfig("127.0.0.1", 0, Set.of(KEY), 1024, requestTimeout,
                Duration.ofSeconds(1), keepAlive, Optional.of(partitions), "gw-test", new Topics("test"),
                Duration.ofHours(1), "127.0.0.1", 2);
        app = new GatewayHttp(config, models, publisher, replies, new RequestIdMint(partitions, 6), accepting::get,
                () -> Map.of("models", models.isLoaded()), metrics, requests, eventLog,
                new BearerAuth(config.apiKeys(), keys, java.time.Clock.systemUTC())).create()
                .start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + app.port();
    }

    private void start() {
        start(WAIT, Duration.ofSeconds(15));
    }

    private Request.Builder post(final String path, final String body) {
        return new Request.Builder().url(base + path).header("Authorization", "Bearer " + KEY)
                .post(RequestBody.create(body, JSON));
    }

    private Response call(final Request.Builder request) throws IOException {
        return client.newCall(request.build()).execute();
    }

    private static JsonNode json(final Response response) throws IOException {
        return Json.MAPPER.readTree(response.body().string());
    }

    private static void assertOpenAiError(final Response response, final int status, final String code)
            throws IOException {
        assertEquals(status, response.code());
        assertTrue(response.header("Content-Type", "").startsWith("application/json"), response.header("Content-Type"));
        final JsonNode error = json(response).path("error");
        assertTrue(error.isObject(), "an OpenAI error body");
        assertTrue(error.path("message").isTextual());
        assertTrue(error.path("type").isTextual());
        assertTrue(error.has("param"));
        if (code != null) {
            assertEquals(code, error.path("code").asText());
        }
    }

    private static void assertRequestId(final Response response) {
        final String id = response.header(GatewayHttp.REQUEST_ID_HEADER);
        assertNotNull(id, "X-Request-Id");
        assertTrue(id.matches("req_[0-9a-f]{24}"), id);
    }

    @Test
    void shouldAnswer401WhenTheApiKeyIsMissing() throws IOException {
        start();
        try (Response response = call(new Request.Builder().url(base + "/v1/chat/completions")
                .post(RequestBody.create(CHAT, JSON)))) {
            assertRequestId(response);
            assertOpenAiError(response, 401, "invalid_api_key");
        }
        assertTrue(publisher.published.isEmpty());
    }

    @Test
    void shouldAnswer401WhenTheApiKeyIsWrong() throws IOException {
        start();
        try (Response response = call(post("/v1/completions", "{}").header("Authorization", "Bearer sk-nope"))) {
            assertOpenAiError(response, 401, "invalid_api_key");
        }
        try (Response response = call(new Request.Builder().url(base + "/v1/models"))) {
            assertOpenAiError(response, 401, "invalid_api_key");
        }
    }

    @Test
    void shouldAnswer400NamingTheParamWhenTheBodyIsInvalid() throws IOException {
        start();
        try (Response response = call(post("/v1/chat/completions", "{\"model\":\"gpt-4o\"}"))) {
            assertRequestId(response);
            assertEquals(400, response.code());
            assertEquals("messages", json(response).path("error").path("param").asText());
        }
        try (Response response = call(post("/v1/chat/completions", "{not json"))) {
            assertOpenAiError(response, 400, null);
        }
    }

    @Test
    void shouldAnswer413WithAnOpenAiBodyWhenTheDeclaredLengthIsTooLarge() throws IOException {
        start();
        final String big = "{\"model\":\"gpt-4o\",\"messages\":[{\"content\":\"" + "x".repeat(2000) + "\"}]}";
        try (Response response = call(post("/v1/chat/completions", big))) {
            assertRequestId(response);
            assertOpenAiError(response, 413, "request_too_large");
        }
        assertTrue(publisher.published.isEmpty());
    }

    @Test
    void shouldAnswer413WhenAChunkedBodyPassesTheLimit() throws IOException {
        start();
        final RequestBody chunked = new RequestBody() {
            @Override
            public MediaType contentType() {
                return JSON;
            }

            @Override
            public long contentLength() {
                return -1; // no Content-Length: OkHttp sends it chunked
            }

            @Override
            public void writeTo(final BufferedSink sink) throws IOException {
                sink.writeUtf8("{\"model\":\"gpt-4o\",\"messages\":[{\"content\":\"" + "x".repeat(1500) + "\"}]}");
            }
        };
        try (Response response = call(new Request.Builder().url(base + "/v1/chat/completions")
                .header("Authorization", "Bearer " + KEY).post(chunked))) {
            assertOpenAiError(response, 413, "request_too_large");
        }
    }

    @Test
    void shouldAnswer404InOpenAiFormWhenTheRouteIsUnknown() throws IOException {
        start();
        try (Response response = call(new Request.Builder().url(base + "/v1/nothing-here"))) {
            assertRequestId(response);
            assertOpenAiError(response, 404, "unknown_url");
        }
    }

    @Test
    void shouldAnswer405InOpenAiFormWhenTheMethodIsWrong() throws IOException {
        start();
        try (Response response = call(new Request.Builder().url(base + "/v1/chat/completions")
                .header("Authorization", "Bearer " + KEY))) {
            assertRequestId(response);
            assertOpenAiError(response, 405, "method_not_allowed");
        }
    }

    @Test
    void shouldAnswer404WhenTheModelIsUnknown() throws IOException {
        start();
        try (Response response = call(post("/v1/chat/completions", CHAT.replace("gpt-4o", "gpt-5")))) {
            assertOpenAiError(response, 404, "model_not_found");
        }
        assertTrue(publisher.published.isEmpty());
    }

    @Test
    void shouldAnswer503WhenTheGatewayIsNotAccepting() throws IOException {
        start();
        accepting.set(false);
        try (Response response = call(post("/v1/chat/completions", CHAT))) {
            assertOpenAiError(response, 503, "service_unavailable");
        }
        assertTrue(publisher.published.isEmpty());
    }

    @Test
    void shouldPublishTheEnvelopeAndAnswerWithTheCompletionWhenTheWorkerCompletes() throws Exception {
        start();
        final JsonNode completion = Events.completion("hello");
        publisher.onPublish = envelope -> replies.dispatch(Events.complete(envelope.id(), 0, 1, completion));
        final long before = System.currentTimeMillis();

        try (Response response = call(post("/v1/chat/completions", CHAT))) {
            assertEquals(200, response.code());
            assertEquals(completion, json(response));
            final RequestEnvelope envelope = publisher.nextPublished(WAIT);
            assertEquals(response.header(GatewayHttp.REQUEST_ID_HEADER), envelope.id());
            assertEquals(Endpoint.CHAT_COMPLETIONS, envelope.endpoint());
            assertEquals("gpt-4o", envelope.model());
            assertEquals(Json.MAPPER.readTree(CHAT), envelope.body());
            assertTrue(partitions.partitions().contains(envelope.replyPartition()));
            assertEquals("gw-test", envelope.gatewayId());
            assertEquals(BearerAuth.keyId(KEY), envelope.keyId());
            assertEquals(1, envelope.attempt());
            assertTrue(envelope.receivedAtMs() >= before);
            assertEquals(envelope.receivedAtMs() + WAIT.toMillis(), envelope.deadlineMs());
        }
        assertEquals(0, replies.size());
        assertNull(publisher.cancels.poll());
    }

    @Test
    void shouldAnswerWithTheWorkersStatusAndErrorWhenTheWorkerFails() throws IOException {
        start();
        publisher.onPublish = envelope -> replies.dispatch(Events.error(envelope.id(), 0, 1,
                ApiError.rateLimited("slow down")));
        try (Response response = call(post("/v1/completions", "{\"model\":\"gpt-4o\",\"prompt\":\"hi\"}"))) {
            assertOpenAiError(response, 429, "rate_limit_exceeded");
        }
    }

    @Test
    void shouldAnswer504AndCancelWhenTheDeadlinePasses() throws Exception {
        start(Duration.ofMillis(300), Duration.ofSeconds(15));
        try (Response response = call(post("/v1/chat/completions", CHAT))) {
            assertOpenAiError(response, 504, "timeout");
            final CancelCommand cancel = publisher.nextCancel(WAIT);
            assertEquals(response.header(GatewayHttp.REQUEST_ID_HEADER), cancel.id());
            assertEquals(CancelReason.DEADLINE, cancel.reason());
        }
        assertEquals(0, replies.size());
    }

    @Test
    void shouldAnswer503AndForgetTheRequestWhenPublishingFails() throws Exception {
        start();
        publisher.onPublish = envelope -> {
            throw new PublishException(ApiError.unavailable("Kafka is down"), true, null);
        };
        try (Response response = call(post("/v1/chat/completions", CHAT))) {
            assertOpenAiError(response, 503, "service_unavailable");
            assertEquals(response.header(GatewayHttp.REQUEST_ID_HEADER), publisher.nextCancel(WAIT).id());
        }
        assertEquals(0, replies.size());
    }

    @Test
    void shouldFlushEachChunkThenEndWithDoneWhenTheWorkerStreams() throws Exception {
        start();
        publisher.onPublish = envelope -> replies.dispatch(Events.chunk(envelope.id(), 0, 1));
        try (Response response = call(post("/v1/chat/completions", STREAM_CHAT))) {
            assertEquals(200, response.code());
            assertRequestId(response);
            assertTrue(response.header("Content-Type", "").startsWith("text/event-stream"));
            assertEquals("no-cache", response.header("Cache-Control"));
            assertEquals("no", response.header("X-Accel-Buffering"));
            final BufferedSource events = response.body().source();
            // chunk 0 must arrive while the worker has sent nothing more: it was flushed on its own
            assertEquals("id: 0", events.readUtf8LineStrict());
            assertEquals("data: {\"n\":0,\"attempt\":1}", events.readUtf8LineStrict());
            assertEquals("", events.readUtf8LineStrict());

            final String id = publisher.nextPublished(WAIT).id();
            replies.dispatch(Events.chunk(id, 2, 1));
            replies.dispatch(Events.chunk(id, 1, 1));
            replies.dispatch(Events.chunk(id, 1, 1));
            replies.dispatch(Events.complete(id, 3, 1, null));

            assertEquals(List.of("id: 1", "data: {\"n\":1,\"attempt\":1}", "", "id: 2",
                    "data: {\"n\":2,\"attempt\":1}", "", "id: 3", "data: [DONE]", ""), readAll(events));
        }
    }

    @Test
    void shouldAnswerAPlainJsonErrorWhenAStreamFailsBeforeItsFirstChunk() throws IOException {
        start();
        publisher.onPublish = envelope -> replies.dispatch(Events.error(envelope.id(), 0, 1,
                ApiError.upstream(502, "host unreachable")));
        try (Response response = call(post("/v1/chat/completions", STREAM_CHAT))) {
            assertOpenAiError(response, 502, "upstream_error");
        }
    }

    @Test
    void shouldEndTheStreamWithAnErrorEventThenDoneWhenTheWorkerFailsAfterChunks() throws IOException {
        start();
        publisher.onPublish = envelope -> {
            replies.dispatch(Events.chunk(envelope.id(), 0, 1));
            replies.dispatch(Events.chunk(envelope.id(), 0, 2));
        };
        try (Response response = call(post("/v1/chat/completions", STREAM_CHAT))) {
            assertEquals(200, response.code());
            final List<String> lines = readAll(response.body().source());
            assertEquals(7, lines.size(), lines.toString());
            assertEquals("id: 0", lines.get(0));
            assertEquals("data: {\"n\":0,\"attempt\":1}", lines.get(1));
            // the gateway's own end has no event id: no response event stands behind it
            final JsonNode error = Json.MAPPER.readTree(lines.get(3).substring("data: ".length()));
            assertEquals(ReplySequencer.FAILOVER_MESSAGE, error.path("error").path("message").asText());
            assertEquals("data: [DONE]", lines.get(5));
        }
    }

    @Test
    void shouldEndTheStreamWithATimeoutEventAndCancelWhenTheDeadlinePassesMidStream() throws Exception {
        start(Duration.ofMillis(400), Duration.ofMillis(100));
        publisher.onPublish = envelope -> replies.dispatch(Events.chunk(envelope.id(), 0, 1));
        try (Response response = call(post("/v1/chat/completions", STREAM_CHAT))) {
            final List<String> data = readAll(response.body().source()).stream()
                    .filter(line -> line.startsWith("data: ")).toList();
            assertEquals(3, data.size(), data.toString());
            assertEquals("timeout", Json.MAPPER.readTree(data.get(1).substring(6)).path("error").path("code").asText());
            assertEquals("data: [DONE]", data.get(2));
            assertEquals(CancelReason.DEADLINE, publisher.nextCancel(WAIT).reason());
        }
    }

    @Test
    void shouldPublishACancelWhenTheClientDisconnectsMidStream() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofMillis(50));
        publisher.onPublish = envelope -> replies.dispatch(Events.chunk(envelope.id(), 0, 1));
        final String id;
        try (Response response = call(post("/v1/chat/completions", STREAM_CHAT))) {
            id = response.header(GatewayHttp.REQUEST_ID_HEADER);
            assertEquals("id: 0", response.body().source().readUtf8LineStrict());
            assertEquals("data: {\"n\":0,\"attempt\":1}", response.body().source().readUtf8LineStrict());
        }
        // closing the response before its end drops the connection; the next keep-alive write fails
        final CancelCommand cancel = publisher.nextCancel(WAIT);
        assertNotNull(cancel, "a cancel after the client went away");
        assertEquals(id, cancel.id());
        assertEquals(CancelReason.CLIENT_DISCONNECTED, cancel.reason());
    }

    @Test
    void shouldListModelsAndShowOneWhoseIdHasASlash() throws IOException {
        start();
        try (Response response = call(new Request.Builder().url(base + "/v1/models")
                .header("Authorization", "Bearer " + KEY))) {
            assertEquals(200, response.code());
            final JsonNode list = json(response);
            assertEquals("list", list.path("object").asText());
            assertEquals(2, list.path("data").size());
            final JsonNode first = list.path("data").get(0);
            assertEquals("Qwen/Qwen2.5-72B-Instruct-AWQ", first.path("id").asText());
            assertEquals("model", first.path("object").asText());
            assertEquals(1_700_000_000L, first.path("created").asLong());
            assertEquals("tests", first.path("owned_by").asText());
        }
        try (Response response = call(new Request.Builder().url(base + "/v1/models/Qwen/Qwen2.5-72B-Instruct-AWQ")
                .header("Authorization", "Bearer " + KEY))) {
            assertEquals(200, response.code());
            assertEquals("Qwen/Qwen2.5-72B-Instruct-AWQ", json(response).path("id").asText());
        }
        try (Response response = call(new Request.Builder().url(base + "/v1/models/Qwen/nope")
                .header("Authorization", "Bearer " + KEY))) {
            assertOpenAiError(response, 404, "model_not_found");
        }
    }

    @Test
    void shouldAnswerHealthAlwaysAndReadyOnlyWhenEveryCheckHolds() throws IOException {
        start();
        models.loaded(false);
        try (Response response = call(new Request.Builder().url(base + "/health"))) {
            assertEquals(200, response.code());
            assertEquals("ok", json(response).path("status").asText());
        }
        try (Response response = call(new Request.Builder().url(base + "/ready"))) {
            assertEquals(503, response.code());
            assertTrue(json(response).path("checks").has("models"));
        }
        models.loaded(true);
        try (Response response = call(new Request.Builder().url(base + "/ready"))) {
            assertEquals(200, response.code());
            assertEquals("ready", json(response).path("status").asText());
        }
    }

    @Test
    void shouldCountRequestsByModelEndpointAndStatusWhenScraped() throws IOException {
        start();
        publisher.onPublish = envelope -> replies.dispatch(Events.complete(envelope.id(), 0, 1,
                Events.completion("hi")));
        call(post("/v1/chat/completions", CHAT)).close();
        call(post("/v1/chat/completions", "{}")).close();

        try (Response response = call(new Request.Builder().url(base + "/metrics"))) {
            assertEquals(200, response.code());
            final String text = response.body().string();
            assertTrue(text.contains(
                    "llmgw_gateway_requests_total{endpoint=\"chat.completions\",model=\"gpt-4o\",status=\"200\"} 1"),
                    text);
            assertTrue(text.contains(
                    "llmgw_gateway_requests_total{endpoint=\"chat.completions\",model=\"none\",status=\"400\"} 1"),
                    text);
            assertTrue(text.contains("llmgw_gateway_request_duration_seconds"), text);
        }
    }

    @Test
    void shouldAnswerAnEmptyStreamEndedByDoneWhenTheWorkerCompletesWithoutChunks() throws IOException {
        start();
        publisher.onPublish = envelope -> replies.dispatch(Events.complete(envelope.id(), 0, 1, null));
        try (Response response = call(post("/v1/chat/completions", STREAM_CHAT))) {
            assertEquals(200, response.code());
            assertEquals(List.of("id: 0", "data: [DONE]", ""), readAll(response.body().source()));
        }
    }

    @Test
    void shouldAnswerAnOpenAiErrorWithTheRequestIdWhenSomethingUnexpectedFails() throws IOException {
        start();
        publisher.onPublish = envelope -> {
            throw new IllegalStateException("a bug");
        };
        try (Response response = call(post("/v1/chat/completions", CHAT))) {
            assertRequestId(response);
            assertOpenAiError(response, 503, "internal_error");
        }
        assertEquals(0, replies.size());
    }

    @Test
    void shouldAnswerJettysOwnErrorsAsOpenAiErrorsWhenTheRequestIsMalformed() throws IOException {
        start();
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            final String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
            assertTrue(answer.contains("{\"error\":{"), answer);
        }
    }

    @Test
    void shouldLetAnEndedRequestFinishItsAnswerWhenTheServerStopsRightAfter() throws Exception {
        start();
        final var answer = CompletableFuture.supplyAsync(() -> {
            // no keep-alive: an idle connection would hold the graceful stop until it times out
            try (Response response = call(post("/v1/chat/completions", CHAT).header("Connection", "close"))) {
                return response.code() + " " + json(response).path("error").path("code").asText();
            } catch (final IOException e) {
                return e.toString();
            }
        });
        final RequestEnvelope waiting = publisher.nextPublished(WAIT);
        assertNotNull(waiting);

        assertEquals(1, GatewayServer.stopServing(replies, publisher, app));
        app = null;

        assertEquals("503 service_unavailable", answer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        final CancelCommand cancel = publisher.nextCancel(WAIT);
        assertEquals(waiting.id(), cancel.id());
        assertEquals(CancelReason.GATEWAY_SHUTDOWN, cancel.reason());
    }

    @Test
    void shouldShortenTheDeadlineToTheClientsRequestTimeoutHeader() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(15));
        final long started = System.nanoTime();
        try (Response response = call(post("/v1/chat/completions", CHAT).header("X-Request-Timeout", "0.3"))) {
            assertEquals(504, response.code());
            assertTrue(json(response).path("error").path("message").asText().contains("300 ms"));
        }
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(5)) < 0);
        final RequestEnvelope envelope = publisher.nextPublished(WAIT);
        assertEquals(envelope.receivedAtMs() + 300, envelope.deadlineMs(), "the worker gets the same deadline");
        assertEquals(CancelReason.DEADLINE, publisher.nextCancel(WAIT).reason());
    }

    @Test
    void shouldTakeTheStainlessTimeoutWhenItIsTheSmallest() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(15));
        publisher.onPublish = envelope -> replies.dispatch(Events.complete(envelope.id(), 0, 1, Events.completion("ok")));
        try (Response response = call(post("/v1/chat/completions", CHAT).header("X-Request-Timeout", "10")
                .header("X-Stainless-Timeout", "2.5"))) {
            assertEquals(200, response.code());
        }
        final RequestEnvelope envelope = publisher.nextPublished(WAIT);
        assertEquals(envelope.receivedAtMs() + 2_500, envelope.deadlineMs());
    }

    @Test
    void shouldAnswer400WithoutPublishingWhenTheRequestTimeoutHeaderIsMalformed() throws IOException {
        start();
        try (Response response = call(post("/v1/chat/completions", CHAT).header("X-Request-Timeout", "soon"))) {
            assertRequestId(response);
            assertOpenAiError(response, 400, null);
        }
        assertTrue(publisher.published.isEmpty());
    }

    @Test
    void shouldListAndServeOnlyTheModelsAManagedKeyMayCallAnd404TheOthers() throws Exception {
        start();
        final String secret = keys.create("team-gpt", java.util.List.of("gpt-*"), null, null);
        try (Response response = call(new Request.Builder().url(base + "/v1/models")
                .header("Authorization", "Bearer " + secret))) {
            assertEquals(200, response.code());
            final JsonNode data = json(response).path("data");
            assertEquals(1, data.size(), data.toString());
            assertEquals("gpt-4o", data.get(0).path("id").asText());
        }
        try (Response response = call(new Request.Builder().url(base + "/v1/models/Qwen/Qwen2.5-72B-Instruct-AWQ")
                .header("Authorization", "Bearer " + secret))) {
            assertOpenAiError(response, 404, "model_not_found");
        }
        try (Response response = call(post("/v1/chat/completions",
                CHAT.replace("gpt-4o", "Qwen/Qwen2.5-72B-Instruct-AWQ")).header("Authorization", "Bearer " + secret))) {
            assertOpenAiError(response, 404, "model_not_found");
        }
        assertTrue(publisher.published.isEmpty(), "nothing published for a model the key cannot see");
    }

    @Test
    void shouldPublishAManagedKeysRequestsAtItsPriorityWhateverXPriorityAsksAbove() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(15));
        final String secret = keys.create("team-low", java.util.List.of(), io.llmgw.schemas.Priority.LOW, null);
        publisher.onPublish = envelope -> replies.dispatch(Events.complete(envelope.id(), 0, 1, Events.completion("ok")));
        try (Response response = call(post("/v1/chat/completions", CHAT).header("Authorization", "Bearer " + secret)
                .header("X-Priority", "high"))) {
            assertEquals(200, response.code());
        }
        final RequestEnvelope envelope = publisher.nextPublished(WAIT);
        assertEquals(io.llmgw.schemas.Priority.LOW, envelope.priority());
        assertEquals("key_" + io.llmgw.keys.KeySecret.idOf(secret).orElseThrow(), envelope.keyId());
    }

    @Test
    void shouldCarryThePriorityAndFairnessKeyHeadersInThePublishedEnvelope() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(15));
        publisher.onPublish = envelope -> replies.dispatch(Events.complete(envelope.id(), 0, 1, Events.completion("ok")));
        try (Response response = call(post("/v1/chat/completions", CHAT).header("X-Priority", "high")
                .header("X-Fairness-Key", "user-7"))) {
            assertEquals(200, response.code());
        }
        final RequestEnvelope envelope = publisher.nextPublished(WAIT);
        assertEquals(io.llmgw.schemas.Priority.HIGH, envelope.priority());
        assertEquals("user-7", envelope.fairnessKey());
    }

    @Test
    void shouldAnswer400WithoutPublishingWhenThePriorityHeaderIsUnknown() throws IOException {
        start();
        try (Response response = call(post("/v1/chat/completions", CHAT).header("X-Priority", "urgent"))) {
            assertOpenAiError(response, 400, null);
        }
        assertTrue(publisher.published.isEmpty());
    }

    @Test
    void shouldCancelAtOnceWhenTheClientOfANonStreamingRequestDisconnectsWhileWaiting() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(15));
        final RequestEnvelope envelope;
        final long closedNanos;
        try (Socket socket = rawPost(CHAT)) {
            envelope = publisher.nextPublished(WAIT);
            assertNotNull(envelope, "published");
            closedNanos = System.nanoTime();
        }
        final CancelCommand cancel = publisher.nextCancel(WAIT);
        final Duration noticed = Duration.ofNanos(System.nanoTime() - closedNanos);

        assertNotNull(cancel, "a cancel after the client went away");
        assertEquals(envelope.id(), cancel.id());
        assertEquals(CancelReason.CLIENT_DISCONNECTED, cancel.reason());
        assertTrue(noticed.compareTo(Duration.ofSeconds(1)) < 0, "noticed within a second: " + noticed);
        await().atMost(WAIT).until(() -> replies.size() == 0);
        assertTrue(scrape().contains("llmgw_gateway_cancels_total{reason=\"client_disconnected\"} 1"));
    }

    @Test
    void shouldCancelAStreamStillWaitingForItsFirstTokenWhenItsClientDisconnects() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(15));
        try (Socket socket = rawPost(STREAM_CHAT)) {
            assertNotNull(publisher.nextPublished(WAIT));
        }
        final CancelCommand cancel = publisher.nextCancel(Duration.ofSeconds(2));
        assertNotNull(cancel, "noticed long before the 15 s keep-alive would have written");
        assertEquals(CancelReason.CLIENT_DISCONNECTED, cancel.reason());
    }

    @Test
    void shouldSendKeepAlivesWhileAStreamWaitsForItsFirstToken() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofMillis(100));
        try (Response response = call(post("/v1/chat/completions", STREAM_CHAT))) {
            // the stream opened before any reply existed: a proxy in between sees bytes, not silence
            assertEquals(200, response.code());
            final BufferedSource events = response.body().source();
            assertEquals(": keep-alive", events.readUtf8LineStrict());
            assertEquals("", events.readUtf8LineStrict());

            final String id = publisher.nextPublished(WAIT).id();
            replies.dispatch(Events.chunk(id, 0, 1));
            replies.dispatch(Events.complete(id, 1, 1, null));

            final List<String> rest = readAll(events).stream().filter(line -> !line.startsWith(":")
                    && !line.isEmpty()).toList();
            assertEquals(List.of("id: 0", "data: {\"n\":0,\"attempt\":1}", "id: 1", "data: [DONE]"), rest);
        }
    }

    @Test
    void shouldAnswerAStreamThatFailsAfterKeepAlivesWithAnErrorEvent() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofMillis(100));
        try (Response response = call(post("/v1/chat/completions", STREAM_CHAT))) {
            final BufferedSource events = response.body().source();
            assertEquals(": keep-alive", events.readUtf8LineStrict());
            final String id = publisher.nextPublished(WAIT).id();
            replies.dispatch(Events.error(id, 0, 1, ApiError.upstream(503, "busy")));

            final List<String> data = readAll(events).stream().filter(line -> line.startsWith("data: ")).toList();
            assertEquals(2, data.size(), data.toString());
            assertEquals("busy", Json.MAPPER.readTree(data.get(0).substring(6)).path("error").path("message").asText());
            assertEquals("data: [DONE]", data.get(1));
        }
    }

    @Test
    void shouldAcceptAnAsyncSubmitWith202AndPublishItDetached() throws Exception {
        start();
        try (Response response = call(post("/v1/chat/completions", CHAT).header("Prefer", "wait=5, respond-async"))) {
            assertEquals(202, response.code());
            final String id = response.header(GatewayHttp.REQUEST_ID_HEADER);
            final JsonNode body = json(response);
            assertEquals(id, body.path("id").asText());
            assertEquals("queued", body.path("status").asText());
            assertEquals("llmgw.request", body.path("object").asText());
            assertEquals("/v1/requests/" + id, response.header("Location"));
            assertEquals("respond-async", response.header("Preference-Applied"));

            final RequestEnvelope envelope = publisher.nextPublished(WAIT);
            assertEquals(id, envelope.id());
            assertTrue(envelope.detached(), "never cancelled for a disconnect");
        }
        assertEquals(0, replies.size(), "nobody waits for an async request's reply");
        assertNull(publisher.cancels.poll());
        assertTrue(scrape().contains("llmgw_gateway_async_requests_total"));
    }

    @Test
    void shouldShowAKnownRequestsStatusAndResultAndPassTheCredentialsOn() throws IOException {
        start();
        final RequestState done = state("req_done", RequestStatus.COMPLETED, BearerAuth.keyId(KEY),
                Events.completion("the answer"));
        requests.states.put(done.id(), done);

        try (Response response = call(get("/v1/requests/req_done"))) {
            assertEquals(200, response.code());
            assertRequestId(response);
            final JsonNode view = json(response);
            assertEquals("req_done", view.path("id").asText());
            assertEquals("completed", view.path("status").asText());
            assertEquals("gpt-4o", view.path("model").asText());
            assertEquals(Events.completion("the answer"), view.path("response"));
            assertTrue(view.path("async").asBoolean());
            assertFalse(view.has("partition"), "where the events are kept is no business of the client");
        }
        assertEquals("Bearer " + KEY, requests.lastAuthorization);
    }

    @Test
    void shouldAnswer404ForUnknownRequestsAndForRequestsOfAnotherKey() throws IOException {
        start();
        requests.states.put("req_theirs", state("req_theirs", RequestStatus.RUNNING, "key_someone_else", null));

        try (Response response = call(get("/v1/requests/req_nope"))) {
            assertOpenAiError(response, 404, "not_found");
        }
        try (Response response = call(get("/v1/requests/req_theirs"))) {
            assertOpenAiError(response, 404, "not_found");
        }
        try (Response response = call(new Request.Builder().url(base + "/v1/requests/req_theirs"))) {
            assertOpenAiError(response, 401, "invalid_api_key");
        }
    }

    @Test
    void shouldAnswer503WhileTheResultsCannotBeAsked() throws IOException {
        start();
        requests.unavailable = "the request results are being rebalanced";
        try (Response response = call(get("/v1/requests/req_any"))) {
            assertOpenAiError(response, 503, "service_unavailable");
        }
    }

    @Test
    void shouldReplayEventsAfterTheLastEventIdThenFollowLiveOnesUntilDone() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofSeconds(15));
        final String id = "req_live";
        requests.states.put(id, state(id, RequestStatus.RUNNING, null, null));
        eventLog.stored.add(Events.chunk("req_other", 0, 1));
        eventLog.stored.add(Events.chunk(id, 0, 1));
        eventLog.stored.add(Events.chunk(id, 1, 1));
        eventLog.stored.add(Events.chunk(id, 1, 1));

        try (Response response = call(get("/v1/requests/" + id + "/events").header("Last-Event-ID", "0"))) {
            assertEquals(200, response.code());
            assertTrue(response.header("Content-Type", "").startsWith("text/event-stream"));
            final BufferedSource events = response.body().source();
            assertEquals("id: 1", events.readUtf8LineStrict(), "replayed after the last id seen, once");
            assertEquals("data: {\"n\":1,\"attempt\":1}", events.readUtf8LineStrict());
            assertEquals("", events.readUtf8LineStrict());

            eventLog.append(Events.chunk(id, 2, 1));
            eventLog.append(Events.complete(id, 3, 1, null));

            assertEquals(List.of("id: 2", "data: {\"n\":2,\"attempt\":1}", "", "id: 3", "data: [DONE]", ""),
                    readAll(events));
        }
        assertEquals(eventLog.opened, eventLog.closed, "the cursor is closed when the stream ends");
    }

    @Test
    void shouldAnswer429WhenMoreClientsFollowEventsThanTheCapAllows() throws Exception {
        start(Duration.ofSeconds(30), Duration.ofMillis(100));
        final String id = "req_followed";
        requests.states.put(id, state(id, RequestStatus.RUNNING, null, null));

        try (Response first = call(get("/v1/requests/" + id + "/events"));
             Response second = call(get("/v1/requests/" + id + "/events"))) {
            // both are inside the follow loop once they have sent a keep-alive
            assertEquals(": keep-alive", first.body().source().readUtf8LineStrict());
            assertEquals(": keep-alive", second.body().source().readUtf8LineStrict());
            try (Response third = call(get("/v1/requests/" + id + "/events"))) {
                assertOpenAiError(third, 429, "too_many_followers");
            }
        }
    }

    @Test
    void shouldReplayANonStreamingCompletionAsOneEventFromTheAfterParameter() throws Exception {
        start();
        final String id = "req_json";
        requests.states.put(id, state(id, RequestStatus.COMPLETED, null, Events.completion("done")));
        eventLog.stored.add(Events.complete(id, 0, 1, Events.completion("done")));

        try (Response response = call(get("/v1/requests/" + id + "/events?after=-1"))) {
            final List<String> lines = readAll(response.body().source());
            assertEquals("id: 0", lines.get(0));
            assertEquals(Events.completion("done"), Json.MAPPER.readTree(lines.get(1).substring(6)));
            assertEquals("data: [DONE]", lines.get(3));
        }
        try (Response response = call(get("/v1/requests/" + id + "/events?after=soon"))) {
            assertOpenAiError(response, 400, null);
        }
    }

    @Test
    void shouldAnswer410WhenKafkaNoLongerKeepsTheEvents() throws IOException {
        start();
        requests.states.put("req_old", state("req_old", RequestStatus.COMPLETED, null, null));
        eventLog.earliestOffset = 100;
        try (Response response = call(get("/v1/requests/req_old/events"))) {
            assertOpenAiError(response, 410, "events_expired");
        }
    }

    @Test
    void shouldGiveAPeerTheStoredStateWhenAskedInternally() throws IOException {
        start();
        final RequestState state = state("req_peer", RequestStatus.QUEUED, "key_other", null);
        requests.states.put(state.id(), state);
        try (Response response = call(get("/internal/requests/req_peer"))) {
            assertEquals(200, response.code());
            assertEquals(state, Json.MAPPER.readValue(response.body().bytes(), RequestState.class));
        }
        try (Response response = call(get("/internal/requests/req_nope"))) {
            assertOpenAiError(response, 404, "not_found");
        }
    }

    @Test
    void shouldAnswer401WhenAPeerAsksInternallyWithoutAKnownKey() throws IOException {
        start();
        requests.states.put("req_peer", state("req_peer", RequestStatus.QUEUED, "key_other", null));
        try (Response response = call(new Request.Builder().url(base + "/internal/requests/req_peer"))) {
            assertOpenAiError(response, 401, "invalid_api_key");
        }
        try (Response response = call(new Request.Builder().url(base + "/internal/requests/req_peer")
                .header("Authorization", "Bearer sk-nope"))) {
            assertOpenAiError(response, 401, "invalid_api_key");
        }
    }

    private Request.Builder get(final String path) {
        return new Request.Builder().url(base + path).header("Authorization", "Bearer " + KEY);
    }

    private String scrape() throws IOException {
        try (Response response = call(new Request.Builder().url(base + "/metrics"))) {
            return response.body().string();
        }
    }

    /** A request on a plain socket, so that the test can drop the connection while the gateway waits. */
    private Socket rawPost(final String body) throws IOException {
        final Socket socket = new Socket("127.0.0.1", app.port());
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer " + KEY + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return socket;
    }

    private static RequestState state(final String id, final RequestStatus status, final String keyId,
                                      final JsonNode response) {
        final long now = System.currentTimeMillis();
        return new RequestState(id, status, "gpt-4o", Endpoint.CHAT_COMPLETIONS, response == null, true, keyId,
                now, now + 60_000, now, status.isFinal() ? now : 0, 0, 0, 0, response, null);
    }

    private static List<String> readAll(final BufferedSource source) throws IOException {
        final List<String> lines = new ArrayList<>();
        String line;
        while ((line = source.readUtf8Line()) != null) {
            lines.add(line);
        }
        return lines;
    }
}
