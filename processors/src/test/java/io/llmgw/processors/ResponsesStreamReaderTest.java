package io.llmgw.processors;

import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.RequestEnvelope;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.llmgw.processors.TestRequests.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The worker reading a Responses API stream from a host over real HTTP (MockWebServer). */
class ResponsesStreamReaderTest {

    @StartStop
    private final MockWebServer server = new MockWebServer();

    private final OkHttpUpstreamClient client = OkHttpUpstreamClient.create(8, Duration.ofSeconds(30));
    private final RecordingListener listener = new RecordingListener();

    @AfterEach
    void closeClient() {
        client.close();
    }

    private static RequestEnvelope responses() {
        return new RequestEnvelope("req_r1", Endpoint.RESPONSES, "test-model", true,
                body("{\"model\":\"test-model\",\"stream\":true,\"input\":\"hi\"}"),
                TestRequests.NOW_MS, TestRequests.NOW_MS + 300_000, 2, "gw-1", "key-1", 1, false);
    }

    private void serve(final String events) {
        server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "text/event-stream")
                .body(events).build());
        client.start(responses(), TestRequests.model(server.url("/v1").toString()), listener);
    }

    private static String event(final String type, final String fields) {
        return "event: " + type + "\ndata: {\"type\":\"" + type + "\"" + fields + "}\n\n";
    }

    @Test
    void shouldRelayEveryEventAndCompleteAfterResponseCompletedWithoutDone() throws Exception {
        serve(event("response.created", ",\"sequence_number\":0,\"response\":{\"id\":\"resp_h\"}")
                + event("response.output_text.delta", ",\"sequence_number\":1,\"delta\":\"Hi\"")
                + event("response.completed", ",\"sequence_number\":2,\"response\":{\"id\":\"resp_h\"}"));

        assertEquals("response.created", listener.takeChunk().get("type").asText());
        assertEquals("Hi", listener.takeChunk().get("delta").asText());
        assertEquals("response.completed", listener.takeChunk().get("type").asText());
        assertNull(listener.takeComplete());
        listener.assertExhausted();
        final RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
        assertNotNull(request);
        assertEquals("/v1/responses", request.getUrl().encodedPath());
    }

    @Test
    void shouldEndAfterResponseIncompleteOrFailedAsTheHostsOwnVerdict() {
        serve(event("response.created", ",\"sequence_number\":0")
                + event("response.incomplete", ",\"sequence_number\":1,\"response\":{\"status\":\"incomplete\"}"));

        listener.takeChunk();
        assertEquals("incomplete", listener.takeChunk().at("/response/status").asText());
        assertNull(listener.takeComplete());
    }

    @Test
    void shouldCopyTheEventNameIntoTypeWhenTheDataHasNone() {
        serve("event: response.created\ndata: {\"sequence_number\":0}\n\n"
                + "event: response.completed\ndata: {\"sequence_number\":1}\n\n");

        assertEquals("response.created", listener.takeChunk().get("type").asText());
        assertEquals("response.completed", listener.takeChunk().get("type").asText());
        assertNull(listener.takeComplete());
    }

    @Test
    void shouldFailWithTheHostsMessageOnAnErrorEvent() {
        serve(event("response.created", ",\"sequence_number\":0")
                + event("error", ",\"sequence_number\":1,\"code\":\"engine_dead\",\"message\":\"GPU fell off\","
                + "\"param\":null"));

        listener.takeChunk();
        final UpstreamFailure failure = listener.takeFailure();
        assertEquals("GPU fell off", failure.error().message());
        assertEquals("engine_dead", failure.error().code());
        assertEquals(502, failure.error().status());
        assertFalse(failure.retryable());
    }

    @Test
    void shouldFailAsCutWhenTheStreamEndsBeforeAFinalEvent() {
        serve(event("response.created", ",\"sequence_number\":0"));

        listener.takeChunk();
        assertEquals(502, listener.takeFailure().error().status());
        listener.assertExhausted();
    }
}
