package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.gateway.GatewayServer;
import io.llmgw.schemas.ModelRoute;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.TopicAdmin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests you can come back to, on two gateway instances sharing one broker: async submit, status and result, and
 * the event stream replayed after a given event id then followed live, each answered by either instance whichever
 * holds the request's results (interactive-query metadata, the lookup forwarded to the owner).
 */
class RequestResultsIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static E2eStack stack;
    private static GatewayServer second;
    private static String a;
    private static String b;

    @BeforeAll
    static void startSecondGateway() {
        stack = E2eStack.shared();
        second = GatewayServer.start(stack.settings().with(Map.of(
                "GATEWAY_PORT", "0",
                "GATEWAY_ID", "results-second",
                "GATEWAY_ADVERTISED_HOST", "127.0.0.1")));
        a = stack.gatewayUrl();
        b = "http://127.0.0.1:" + second.port() + "/v1";
        // both answer lookups only once the results are spread over both instances
        Results.awaitAnswering(a);
        Results.awaitAnswering(b);
    }

    @AfterAll
    static void stopSecondGateway() {
        if (second != null) {
            second.close();
        }
    }

    private static String chat(final String model, final String key, final boolean stream, final String xSim) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"results " + key + "\"}],\"x_sim\":{\"key\":\"" + key + "\"" + xSim + "}}";
    }

    private static String submitAsync(final String gateway, final String body) throws Exception {
        final Http.Reply reply = Http.post(gateway + "/chat/completions", body, "Prefer", "respond-async");
        assertEquals(202, reply.status(), reply.body());
        final JsonNode accepted = reply.json();
        assertEquals("queued", accepted.path("status").asText());
        assertEquals(reply.header("X-Request-Id"), accepted.path("id").asText());
        assertEquals("/v1/requests/" + accepted.path("id").asText(), reply.header("Location"));
        return accepted.path("id").asText();
    }

    @Test
    void shouldAnswerTheSameResultFromEitherGatewayWhicheverHoldsIt() throws Exception {
        final Set<Integer> holders = new HashSet<>();
        for (int i = 0; i < 40 && holders.size() < 2; i++) {
            final String key = "results-any-" + i;
            final String id = submitAsync(a, chat(E2eStack.QWEN, key, false, ""));
            final JsonNode viaA = Results.awaitStatus(a, id, "completed");
            final JsonNode viaB = Results.awaitStatus(b, id, "completed");

            assertEquals(viaA, viaB, "the same answer from both instances");
            assertTrue(viaA.path("async").asBoolean());
            final String direct = Http.post(stack.stack().simulator().baseUrl() + "/chat/completions",
                    chat(E2eStack.QWEN, key, false, "")).json().at("/choices/0/message/content").asText();
            assertEquals(direct, viaA.at("/response/choices/0/message/content").asText());
            // the internal lookup never forwards: 200 where the results are held, 503 on the other instance
            holders.add(Http.get(b.replace("/v1", "/internal/requests/") + id).status());
        }
        assertEquals(Set.of(200, 503), holders, "some requests were held by each instance, so lookups were forwarded"
                + " both ways");
    }

    @Test
    void shouldReportRunningWhileTheHostWorksThenTheCompletion() throws Exception {
        final String id = submitAsync(b, chat(E2eStack.QWEN, "results-running", false, ",\"ttft_ms\":2500"));

        final JsonNode running = Results.awaitStatus(a, id, "running");
        assertFalse(running.has("response"));
        assertFalse(running.has("finished_at"));
        final JsonNode done = Results.awaitStatus(a, id, "completed");
        assertEquals("chat.completion", done.at("/response/object").asText());
        assertTrue(done.path("finished_at").asLong() >= done.path("created_at").asLong());
    }

    @Test
    void shouldReportFailedWithTheHostsErrorWhenTheRequestFails() throws Exception {
        final String id = submitAsync(a, chat(E2eStack.QWEN, "results-400", false, ",\"fail_status\":400"));

        final JsonNode failed = Results.awaitStatus(b, id, "failed");
        assertEquals(400, failed.path("status_code").asInt());
        assertTrue(failed.at("/error/message").asText().contains("Simulated failure 400"), failed.toString());
    }

    @Test
    void shouldKeepARequestQueuedWithoutAWorkerAndExpireItAfterItsDeadline() throws Exception {
        final String model = "results-no-worker-model";
        final Topics topics = new Topics(Topics.DEFAULT_PREFIX);
        final Topic<String, ModelRoute> registry = topics.models();
        // as a worker leaves it when it announced the model and then went away: the topic and the route
        final TopicAdmin.TopicLayout layout = TopicAdmin.TopicLayout.from(stack.settings());
        TopicAdmin.ensure(KafkaClientProps.common(stack.settings()), layout,
                List.of(TopicAdmin.Spec.of(topics.modelRequestsName(model), 1)), Duration.ofSeconds(30));
        try (KafkaProducer<String, ModelRoute> producer = new KafkaProducer<>(KafkaClientProps.producer(stack.settings()),
                registry.keySerde().serializer(), registry.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(registry.name(), model, new ModelRoute(model,
                    topics.modelRequestsName(model), "test", 0))).get(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(a + "/models/" + model).status() == 200);

        final Http.Reply accepted = Http.post(a + "/chat/completions", chat(model, "results-queued", false, ""),
                "Prefer", "respond-async", "X-Request-Timeout", "2");
        assertEquals(202, accepted.status(), accepted.body());
        final String id = accepted.json().path("id").asText();

        assertEquals("queued", Results.awaitStatus(b, id, "queued").path("status").asText());
        final JsonNode expired = Results.awaitStatus(b, id, "expired");
        assertEquals(504, expired.path("status_code").asInt());
    }

    @Test
    void shouldFollowAStreamLiveFromTheOtherGatewayThenReplayItAfterAnEventId() throws Exception {
        final String id = submitAsync(a, chat(E2eStack.GPT, "results-stream", true,
                ",\"tokens\":30,\"tokens_per_second\":40"));

        // live: subscribed while the host is still generating
        final CompletableFuture<List<SseEvent>> live = CompletableFuture.supplyAsync(() -> events(b, id, null, null));
        final List<SseEvent> all = live.get(30, TimeUnit.SECONDS);

        assertEquals("[DONE]", all.getLast().data());
        final List<Long> ids = all.stream().map(SseEvent::id).toList();
        assertEquals(LongStream.rangeClosed(0, ids.size() - 1).boxed().toList(), ids,
                "every event once, in order, none missing: " + ids);
        assertTrue(all.size() > 30, "one event per token at least: " + all.size());

        // replay: after event 10 via the header on one instance, via the query on the other
        final List<SseEvent> afterTen = events(a, id, "10", null);
        assertEquals(all.subList(11, all.size()), afterTen);
        assertEquals(afterTen, events(b, id, null, "10"));
        assertEquals(List.of(new SseEvent(-1, "[DONE]")), events(a, id, String.valueOf(all.getLast().id()), null),
                "nothing after the last event but the end");
    }

    @Test
    void shouldAnswer404ForAnUnknownRequestOnEitherGateway() throws Exception {
        for (final String gateway : List.of(a, b)) {
            final Http.Reply reply = Http.get(gateway + "/requests/req_ffffffffffffffffffffffff");
            assertEquals(404, reply.status(), reply.body());
            assertEquals("not_found", reply.json().at("/error/code").asText());
            assertNotNull(reply.header("X-Request-Id"));
        }
    }

    /** One SSE event: its id (-1 without one) and data. */
    record SseEvent(long id, String data) {
    }

    /** Reads {@code GET /requests/{id}/events} to its end. */
    private static List<SseEvent> events(final String gateway, final String id, final String lastEventId,
                                         final String after) {
        final String url = gateway + "/requests/" + id + "/events" + (after == null ? "" : "?after=" + after);
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        try {
            final HttpResponse<java.io.InputStream> response = HTTP.send(request.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            final List<SseEvent> events = new ArrayList<>();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                    StandardCharsets.UTF_8))) {
                long eventId = -1;
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.startsWith("id: ")) {
                        eventId = Long.parseLong(line.substring(4));
                    } else if (line.startsWith("data: ")) {
                        events.add(new SseEvent(eventId, line.substring(6)));
                        eventId = -1;
                    }
                }
            }
            return events;
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
