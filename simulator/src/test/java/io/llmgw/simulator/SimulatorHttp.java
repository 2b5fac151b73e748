package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.sse.EventSource;
import okhttp3.sse.EventSourceListener;
import okhttp3.sse.EventSources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An OkHttp client for the simulator, as the gateway's workers talk to LLM hosts. */
final class SimulatorHttp {

    static final MediaType JSON = MediaType.get("application/json");
    static final Duration WAIT = Duration.ofSeconds(10);

    private final OkHttpClient client = new OkHttpClient.Builder().readTimeout(WAIT).build();
    private final String baseUrl;

    SimulatorHttp(final LlmSimulator simulator) {
        this.baseUrl = simulator.baseUrl();
    }

    static ObjectNode chat(final String userMessage) {
        final ObjectNode body = Json.object().put("model", "gpt-4o-mini");
        body.putArray("messages").addObject().put("role", "user").put("content", userMessage);
        return body;
    }

    static ObjectNode completion(final String prompt) {
        return Json.object().put("model", "gpt-4o-mini").put("prompt", prompt);
    }

    Request post(final String path, final JsonNode body) {
        return post(path, body.toString());
    }

    Request post(final String path, final String body) {
        return new Request.Builder().url(baseUrl + path).post(RequestBody.create(body, JSON)).build();
    }

    /** Sends a request and reads the whole response. */
    Reply call(final Request request) throws IOException {
        try (Response response = client.newCall(request).execute()) {
            return new Reply(response.code(), response.header("Content-Type"), response.header("Retry-After"),
                    response.body().bytes());
        }
    }

    Reply get(final String path) throws IOException {
        return call(new Request.Builder().url(baseUrl + path).build());
    }

    okhttp3.Call newCall(final Request request) {
        return client.newCall(request);
    }

    /** Opens an SSE stream whose events land in the returned recorder. */
    StreamRecorder stream(final JsonNode body) {
        return stream("/chat/completions", body);
    }

    StreamRecorder stream(final String path, final JsonNode body) {
        final StreamRecorder recorder = new StreamRecorder();
        recorder.source = EventSources.createFactory(client).newEventSource(post(path, body), recorder);
        return recorder;
    }

    record Reply(int status, String contentType, String retryAfter, byte[] bytes) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(bytes);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** What a stream delivered, in order: data events, then exactly one end (closed or failure). */
    sealed interface StreamEvent {
        record Data(String data, long atNanos) implements StreamEvent {
        }

        record Closed() implements StreamEvent {
        }

        record Failure(Throwable error, Integer status) implements StreamEvent {
        }
    }

    static final class StreamRecorder extends EventSourceListener {

        private final BlockingQueue<StreamEvent> events = new LinkedBlockingQueue<>();
        private volatile EventSource source;

        @Override
        public void onEvent(final EventSource eventSource, final String id, final String type, final String data) {
            events.add(new StreamEvent.Data(data, System.nanoTime()));
        }

        @Override
        public void onClosed(final EventSource eventSource) {
            events.add(new StreamEvent.Closed());
        }

        @Override
        public void onFailure(final EventSource eventSource, final Throwable error, final Response response) {
            events.add(new StreamEvent.Failure(error, response == null ? null : response.code()));
        }

        StreamEvent next() throws InterruptedException {
            final StreamEvent event = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(event, "no stream event within " + WAIT);
            return event;
        }

        StreamEvent.Data nextData() throws InterruptedException {
            final StreamEvent event = next();
            assertTrue(event instanceof StreamEvent.Data, "expected a data event, got " + event);
            return (StreamEvent.Data) event;
        }

        /** Every data event up to a normal close, which must follow {@code [DONE]}; the queue must then be empty. */
        List<StreamEvent.Data> dataUntilClosed() throws InterruptedException {
            final List<StreamEvent.Data> data = new ArrayList<>();
            StreamEvent event = next();
            while (event instanceof StreamEvent.Data d) {
                data.add(d);
                event = next();
            }
            assertEquals(new StreamEvent.Closed(), event, "stream should end normally");
            assertEquals("[DONE]", data.getLast().data(), "last event should be [DONE]");
            assertNull(events.poll(), "nothing may follow the end of the stream");
            return data;
        }

        void cancel() {
            source.cancel();
        }
    }

    static JsonNode parse(final String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
