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
    private static final Duration TICK = Duration.ofMillis(5);
    private static final ModelSpec MODEL = new ModelSpec("test-model", "http://unused/v1", null, null, 4,
            Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(60), 3, Duration.ofMillis(100));

    @TempDir
    Path stateDir;

    private final FakeUpstream upstream = new FakeUpstream();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;

    @BeforeEach
    void start() {
        final WorkerOptions options = new WorkerOptions(new CancelRegistry(), new CallBudget(MODEL.concurrency()),
                new WorkerMetrics(meters, MODEL.name(), "test"), TICK);
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "worker-metrics-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(WorkerTopology.build(new Topology(), TOPICS, MODEL, upstream, options), props,
                Instant.ofEpochMilli(NOW_MS));
        requests = driver.createInputTopic(TOPICS.modelRequestsName(MODEL.name()), new StringSerializer(),
                new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void send(final RequestEnvelope request) {
        requests.pipeInput(request.id(), TOPICS.requests().valueSerde().encode(request));
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
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        send(chat("req_1", true));
        final FakeUpstream.FakeCall call = upstream.nextCall();

        call.chunk(body("{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}"));
        driver.advanceWallClockTime(Duration.ofMillis(300));
        call.chunk(body("{\"choices\":[{\"delta\":{\"content\":\"!\"},\"finish_reason\":\"stop\"}]}"));
        call.complete(null);
        driver.advanceWallClockTime(Duration.ofMillis(200));

        final Timer queueWait = timer("llmgw.worker.queue.wait", "model", "test-model");
        assertEquals(1, queueWait.count());
        assertEquals(2_000, totalMs(queueWait), 0.5);
        final Timer firstToken = timer("llmgw.worker.first.token", "model", "test-model");
        assertEquals(1, firstToken.count(), "one first token, however many chunks follow");
        assertEquals(2_300, totalMs(firstToken), 0.5);
        final Timer duration = timer("llmgw.worker.request.duration", "model", "test-model", "outcome", "complete");
        assertEquals(1, duration.count());
        assertEquals(500, totalMs(duration), 0.5, "from admission to the terminal event");
    }

    @Test
    void shouldCountEachFailedTryByStatusAndTimeTheRequestOnceWhenARetrySucceeds() {
        send(chat("req_1", false));

        upstream.nextCall().fail(UpstreamFailure.fromStatus(503, null, null, Instant.now()));
        driver.advanceWallClockTime(TICK);
        driver.advanceWallClockTime(Duration.ofMillis(200));
        upstream.nextCall().complete(body("{\"id\":\"second\"}"));
        driver.advanceWallClockTime(TICK);

        assertEquals(1.0, meters.get("llmgw.worker.upstream.errors").tags("status", "503").counter().count());
        assertEquals(1, timer("llmgw.worker.queue.wait", "model", "test-model").count(), "a retry is no new wait");
        assertEquals(1, timer("llmgw.worker.request.duration", "outcome", "complete").count());
        assertEquals(0, timer("llmgw.worker.first.token", "model", "test-model").count(),
                "a non-streaming request has no first token");
    }

    @Test
    void shouldTimeAnErrorOutcomeAndCountTheUpstreamStatusWhenTheHostRejectsTheRequest() {
        send(chat("req_1", false));

        upstream.nextCall().fail(UpstreamFailure.fromStatus(400, body("{\"error\":{\"message\":\"bad\"}}"), null,
                Instant.now()));
        driver.advanceWallClockTime(TICK);

        assertEquals(1.0, meters.get("llmgw.worker.upstream.errors").tags("status", "400").counter().count());
        assertEquals(1, timer("llmgw.worker.request.duration", "outcome", "error").count());
        assertNull(meters.find("llmgw.worker.request.duration").tags("outcome", "complete").timer());
    }
}
