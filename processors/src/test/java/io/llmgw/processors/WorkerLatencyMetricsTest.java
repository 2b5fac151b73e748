package io.llmgw.processors;

import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.Topics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static io.llmgw.processors.TestRequests.NOW_MS;
import static io.llmgw.processors.TestRequests.body;
import static io.llmgw.processors.TestRequests.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The worker's latency timers and upstream error counter, on the task's wall clock moved by the test driver. */
class WorkerLatencyMetricsTest {

    private static final Topics TOPICS = new Topics("llm");
    private static final ModelSpec MODEL = new ModelSpec("test-model", "http://unused/v1", null, null, 4,
            Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(60), 3, Duration.ofMillis(100));

    @TempDir
    Path stateDir;

    private WorkerHarness worker;
    private WorkerHarness.Task task;
    private FakeUpstream upstream;
    private SimpleMeterRegistry meters;

    @BeforeEach
    void start() {
        worker = new WorkerHarness(MODEL, stateDir, 1000);
        task = worker.task();
        upstream = worker.upstream;
        meters = worker.meters;
    }

    @AfterEach
    void stop() {
        worker.close();
    }

    private void send(final RequestEnvelope request) {
        task.send(request);
    }

    private Timer timer(final String name, final String... tags) {
        return meters.get(name).tags(tags).timer();
    }

    private double totalMs(final Timer timer) {
        return timer.totalTime(TimeUnit.MILLISECONDS);
    }

    @Test
    void shouldTimeQueueWaitAndFirstTokenFromTheGatewaysAcceptanceWhenAStreamSucceeds() {
        // the request was accepted at NOW_MS and reaches the worker 2 s later
        worker.advance(Duration.ofSeconds(2));
        send(chat("req_1", true));
        final FakeUpstream.FakeCall call = upstream.nextCall();

        call.chunk(body("{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}"));
        worker.advance(Duration.ofMillis(300));
        call.chunk(body("{\"choices\":[{\"delta\":{\"content\":\"!\"},\"finish_reason\":\"stop\"}]}"));
        call.complete(null);
        worker.advance(Duration.ofMillis(200));

        final Timer queueWait = timer("llmgw.worker.queue.wait", "model", "test-model", "priority", "normal");
        assertEquals(1, queueWait.count());
        assertEquals(2_000, totalMs(queueWait), 0.5);
        final Timer firstToken = timer("llmgw.worker.first.token", "model", "test-model");
        assertEquals(1, firstToken.count(), "one first token, however many chunks follow");
        assertEquals(2_000, totalMs(firstToken), 0.5, "sent when it arrived, not at a later tick");
        final Timer duration = timer("llmgw.worker.request.duration", "model", "test-model", "outcome", "complete");
        assertEquals(1, duration.count());
        assertEquals(300, totalMs(duration), 0.5, "from admission to the terminal event");
    }

    @Test
    void shouldCountEachFailedTryByStatusAndTimeTheRequestOnceWhenARetrySucceeds() {
        send(chat("req_1", false));

        upstream.nextCall().fail(UpstreamFailure.fromStatus(503, null, null, Instant.now()));
        worker.tick();
        worker.advance(Duration.ofMillis(200));
        upstream.nextCall().complete(body("{\"id\":\"second\"}"));
        worker.tick();

        assertEquals(1.0, meters.get("llmgw.worker.upstream.errors").tags("status", "503").counter().count());
        assertEquals(1, timer("llmgw.worker.queue.wait", "model", "test-model", "priority", "normal").count(), "a retry is no new wait");
        assertEquals(1, timer("llmgw.worker.request.duration", "outcome", "complete").count());
        assertEquals(0, timer("llmgw.worker.first.token", "model", "test-model").count(),
                "a non-streaming request has no first token");
    }

    @Test
    void shouldTimeAnErrorOutcomeAndCountTheUpstreamStatusWhenTheHostRejectsTheRequest() {
        send(chat("req_1", false));

        upstream.nextCall().fail(UpstreamFailure.fromStatus(400, body("{\"error\":{\"message\":\"bad\"}}"), null,
                Instant.now()));
        worker.tick();

        assertEquals(1.0, meters.get("llmgw.worker.upstream.errors").tags("status", "400").counter().count());
        assertEquals(1, timer("llmgw.worker.request.duration", "outcome", "error").count());
        assertNull(meters.find("llmgw.worker.request.duration").tags("outcome", "complete").timer());
    }
}
