package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.llmgw.processors.TestRequests.NOW_MS;
import static io.llmgw.processors.TestRequests.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The worker topology with the real OkHttp client against a mock LLM host. */
class WorkerOverHttpTest {

    private static final Topics TOPICS = new Topics("llm");

    @StartStop
    private final MockWebServer host = new MockWebServer();

    @TempDir
    Path stateDir;

    private final OkHttpUpstreamClient http = OkHttpUpstreamClient.create(4, Duration.ofSeconds(30));
    private final TerminalLatch upstream = new TerminalLatch(http);
    private WorkerHarness worker;
    private WorkerHarness.Task task;
    private ReplyEvents events;

    @BeforeEach
    void startDriver() {
        worker = new WorkerHarness(TestRequests.model(host.url("/v1").toString()), upstream, stateDir, 1000);
        task = worker.task();
        events = worker.events(task);
    }

    @AfterEach
    void close() {
        worker.close();
        http.close();
    }

    private void send(final RequestEnvelope request) {
        task.send(request);
    }

    @Test
    void shouldTurnAnSseStreamIntoChunkEventsAndOneCompleteEvent() throws InterruptedException {
        host.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream")
                .body("data: {\"choices\":[{\"delta\":{\"content\":\"При\"},\"finish_reason\":null}]}\n\n"
                        + ": keep-alive\n\n"
                        + "data: {\"choices\":[{\"delta\":{\"content\":\"вет\"},\"finish_reason\":\"stop\"}]}\n\n"
                        + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\n"
                        + "data: [DONE]\n\n")
                .build());

        send(chat("req_1", true));
        upstream.awaitTerminal();
        worker.tick();

        final List<ResponseEvent> out = events.readValuesToList();
        assertEquals(List.of(0L, 1L, 2L, 3L), out.stream().map(ResponseEvent::seq).toList());
        assertEquals(List.of(EventType.CHUNK, EventType.CHUNK, EventType.CHUNK, EventType.COMPLETE),
                out.stream().map(ResponseEvent::type).toList());
        assertEquals("При", out.get(0).data().at("/choices/0/delta/content").asText());
        assertEquals(3, out.get(2).usage().get("total_tokens").asInt());
        assertTrue(events.isEmpty());
    }

    @Test
    void shouldPassTheHostsErrorToTheClientWhenItAnswers400() throws InterruptedException {
        host.enqueue(new MockResponse.Builder().code(400).addHeader("Content-Type", "application/json")
                .body("{\"error\":{\"message\":\"bad messages\",\"type\":\"invalid_request_error\"}}").build());

        send(chat("req_1", false));
        upstream.awaitTerminal();
        worker.tick();

        final ResponseEvent event = events.readValue();
        assertEquals(EventType.ERROR, event.type());
        assertEquals(400, event.status());
        assertEquals("bad messages", event.data().at("/error/message").asText());
        assertEquals(1, host.getRequestCount(), "a 400 is not retried");
    }

    /** Passes calls through and lets the test wait until the host's answer has been handed to the processor. */
    private static final class TerminalLatch implements UpstreamClient {
        private final UpstreamClient delegate;
        private final CountDownLatch terminal = new CountDownLatch(1);

        TerminalLatch(final UpstreamClient delegate) {
            this.delegate = delegate;
        }

        void awaitTerminal() throws InterruptedException {
            assertTrue(terminal.await(10, TimeUnit.SECONDS), "the upstream call ended");
        }

        @Override
        public UpstreamCall start(final RequestEnvelope request, final ModelSpec model,
                                  final UpstreamListener listener) {
            return delegate.start(request, model, new UpstreamListener() {
                @Override
                public void onChunk(final JsonNode chunk) {
                    listener.onChunk(chunk);
                }

                @Override
                public void onComplete(final JsonNode completionOrNull) {
                    listener.onComplete(completionOrNull);
                    terminal.countDown();
                }

                @Override
                public void onFailure(final UpstreamFailure failure) {
                    listener.onFailure(failure);
                    terminal.countDown();
                }
            });
        }
    }
}
