package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.DeadLetterHeaders;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.QueuedRequest;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.llmgw.processors.TestRequests.NOW_MS;
import static io.llmgw.processors.TestRequests.body;
import static io.llmgw.processors.TestRequests.chat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerTopologyTest {

    private static final Topics TOPICS = WorkerHarness.TOPICS;
    private static final JsonNode CHUNK_A = body("{\"choices\":[{\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}");
    private static final JsonNode CHUNK_B = body("{\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}");

    @TempDir
    Path stateDir;

    private WorkerHarness worker;
    private WorkerHarness.Task task;
    private FakeUpstream upstream;
    private SimpleMeterRegistry meters;
    private ReplyEvents events;
    private TestOutputTopic<String, byte[]> deadLetters;
    private WorkerOptions options;
    private TopologyTestDriver driver;

    @AfterEach
    void closeDriver() {
        if (worker != null) {
            worker.close();
        }
    }

    private void start(final ModelSpec model) {
        worker = new WorkerHarness(model, stateDir, 1000);
        task = worker.task();
        driver = task.driver;
        upstream = worker.upstream;
        meters = worker.meters;
        options = worker.options;
        events = worker.events(task);
        deadLetters = driver.createOutputTopic(TOPICS.dlqName(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static ModelSpec model(final int concurrency) {
        return new ModelSpec("test-model", "http://unused/v1", null, null, concurrency, Duration.ofSeconds(10),
                Duration.ofSeconds(5), Duration.ofSeconds(60), 3, Duration.ofMillis(100));
    }

    private void send(final RequestEnvelope request) {
        task.send(request);
    }

    /** Lets the task apply the store changes the scheduler queued. */
    private void tick() {
        worker.tick();
    }

    private void advance(final Duration duration) {
        worker.advance(duration);
    }

    private KeyValueStore<String, byte[]> inFlight() {
        return task.store();
    }

    private double counter(final String name) {
        return meters.get(name).counter().count();
    }

    @Test
    void shouldForwardChunksInSeqOrderThenOneCompleteWhenAStreamSucceeds() {
        start(model(4));
        send(chat("req_1", true));
        final FakeUpstream.FakeCall call = upstream.nextCall();
        assertEquals("req_1", call.request().id());
        assertTrue(inFlight().get("req_1") != null, "recorded before the call started");

        call.chunk(CHUNK_A);
        call.chunk(CHUNK_B);
        call.complete(null);
        tick();

        final List<ResponseEvent> out = events.readValuesToList();
        assertEquals(3, out.size());
        assertEquals(new ResponseEvent("req_1", 0, EventType.CHUNK, null, CHUNK_A, null, 2, 1,
                QueuedRequest.of(chat("req_1", true)).startedAt(NOW_MS)), out.get(0));
        assertEquals(new ResponseEvent("req_1", 1, EventType.CHUNK, null, CHUNK_B, null, 2, 1), out.get(1));
        assertEquals(new ResponseEvent("req_1", 2, EventType.COMPLETE, null, null, null, 2, 1), out.get(2));
        assertNull(inFlight().get("req_1"), "a finished request leaves the in-flight store");
        assertEquals(1.0, counter("llmgw.worker.requests.completed"));
    }

    @Test
    void shouldMarkTheStoreEntryWhenTheFirstChunkIsForwarded() {
        start(model(4));
        send(chat("req_1", true));
        final FakeUpstream.FakeCall call = upstream.nextCall();

        call.chunk(CHUNK_A);
        tick();

        final InFlightEntry entry = new JsonSerde<>(InFlightEntry.class).deserializer()
                .deserialize(InFlightStore.NAME, inFlight().get("req_1"));
        assertTrue(entry.streamStarted());
        assertEquals(InFlightEntry.State.RUNNING, entry.state());
        assertEquals(1, events.readValuesToList().size());
    }

    @Test
    void shouldForwardTheCompletionObjectAsTheOnlyEventWhenNotStreaming() {
        start(model(4));
        send(chat("req_1", false));
        final JsonNode completion = body("{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}");

        upstream.nextCall().complete(completion);
        tick();

        final ResponseEvent event = events.readValue();
        assertEquals(EventType.COMPLETE, event.type());
        assertEquals(0, event.seq());
        assertEquals(completion, event.data());
        assertEquals(3, event.usage().get("total_tokens").asInt());
        assertTrue(events.isEmpty());
    }

    @Test
    void shouldAnswer504WithoutCallingTheHostWhenTheDeadlinePassedBeforePickup() {
        start(model(4));
        advance(Duration.ofSeconds(2));

        send(chat("req_1", true, NOW_MS + 1_000));

        final ResponseEvent event = events.readValue();
        assertEquals(EventType.ERROR, event.type());
        assertEquals(504, event.status());
        assertEquals(0, event.seq());
        assertEquals("deadline passed before a worker picked it up", event.data().at("/error/message").asText());
        assertTrue(upstream.noCallPending());
        assertNull(inFlight().get("req_1"));
    }

    @Test
    void shouldRetryAfterA503AndForwardTheSecondTrysAnswer() {
        start(model(4));
        send(chat("req_1", false));

        upstream.nextCall().fail(UpstreamFailure.fromStatus(503, null, null, Instant.now()));
        tick();
        assertTrue(upstream.noCallPending(), "the retry waits for its backoff");
        assertTrue(events.isEmpty());

        advance(Duration.ofMillis(200));
        upstream.nextCall().complete(body("{\"id\":\"second\"}"));
        tick();

        final ResponseEvent event = events.readValue();
        assertEquals(EventType.COMPLETE, event.type());
        assertEquals(0, event.seq());
        assertEquals("second", event.data().get("id").asText());
        assertTrue(events.isEmpty());
        assertEquals(1.0, counter("llmgw.worker.retries"));
        assertEquals(2.0, counter("llmgw.worker.calls.started"));
    }

    @Test
    void shouldHonourRetryAfterWhenTheHostAsksForALongerWait() {
        start(model(4));
        send(chat("req_1", false));

        upstream.nextCall().fail(UpstreamFailure.fromStatus(429, null, "2", Instant.now()));
        tick();
        advance(Duration.ofMillis(1_900));
        assertTrue(upstream.noCallPending());

        advance(Duration.ofMillis(200));
        assertEquals("req_1", upstream.nextCall().request().id());
    }

    @Test
    void shouldGiveUpWithTheLastErrorWhenAllAttemptsFail() {
        start(model(4));
        send(chat("req_1", false));

        for (int i = 0; i < 3; i++) {
            upstream.nextCall().fail(UpstreamFailure.fromStatus(502, null, null, Instant.now()));
            tick();
            advance(Duration.ofSeconds(1));
        }

        final ResponseEvent event = events.readValue();
        assertEquals(EventType.ERROR, event.type());
        assertEquals(502, event.status());
        assertTrue(events.isEmpty());
        assertTrue(upstream.noCallPending());
    }

    @Test
    void shouldEndWithAnErrorAndNeverRetryWhenAStreamFailsAfterItsFirstChunk() {
        start(model(4));
        send(chat("req_1", true));
        final FakeUpstream.FakeCall call = upstream.nextCall();

        call.chunk(CHUNK_A);
        tick();
        call.fail(UpstreamFailure.unreachable("connection reset"));
        tick();
        advance(Duration.ofSeconds(1));

        final List<ResponseEvent> out = events.readValuesToList();
        assertEquals(2, out.size());
        assertEquals(EventType.CHUNK, out.get(0).type());
        assertEquals(EventType.ERROR, out.get(1).type());
        assertEquals(1, out.get(1).seq());
        assertEquals(502, out.get(1).status());
        assertTrue(upstream.noCallPending(), "no retry after a chunk was forwarded");
    }

    @Test
    void shouldCancelTheCallAndAnswer504WhenNoFirstTokenArrivesInTime() {
        start(model(4));
        send(chat("req_1", true));
        final FakeUpstream.FakeCall call = upstream.nextCall();

        advance(Duration.ofSeconds(10));

        final ResponseEvent event = events.readValue();
        assertEquals(504, event.status());
        assertEquals("the LLM host sent no first token within 10 s", event.data().at("/error/message").asText());
        assertTrue(call.cancelled());
        assertNull(inFlight().get("req_1"));
    }

    @Test
    void shouldCancelTheCallAndAnswer504WhenAStreamGoesQuietMidway() {
        start(model(4));
        send(chat("req_1", true));
        final FakeUpstream.FakeCall call = upstream.nextCall();
        call.chunk(CHUNK_A);
        tick();

        advance(Duration.ofSeconds(5));

        final List<ResponseEvent> out = events.readValuesToList();
        assertEquals(2, out.size());
        assertEquals(504, out.get(1).status());
        assertEquals(1, out.get(1).seq());
        assertTrue(out.get(1).data().at("/error/message").asText().contains("sent nothing for 5 s"));
        assertTrue(call.cancelled());
    }

    @Test
    void shouldCancelTheCallAndAnswer504WhenTheDeadlinePassesDuringTheCall() {
        start(model(4));
        send(chat("req_1", false, NOW_MS + 3_000));
        final FakeUpstream.FakeCall call = upstream.nextCall();

        advance(Duration.ofSeconds(3));

        final ResponseEvent event = events.readValue();
        assertEquals(504, event.status());
        assertTrue(call.cancelled());
    }

    @Test
    void shouldAbortTheCallAtOnceAndAnswer408WhenTheClientCancels() {
        start(model(4));
        send(chat("req_1", true));
        final FakeUpstream.FakeCall call = upstream.nextCall();

        options.cancels().cancel("req_1");
        assertTrue(call.cancelled(), "aborted on the cancelling thread, without waiting for the stream thread");
        tick();

        final ResponseEvent event = events.readValue();
        assertEquals(408, event.status());
        assertEquals("cancelled: client disconnected", event.data().at("/error/message").asText());
        assertNull(inFlight().get("req_1"));
        assertEquals(1.0, counter("llmgw.worker.cancellations"));
    }

    @Test
    void shouldAnswer408WithoutCallingTheHostWhenCancelledBeforePickup() {
        start(model(4));
        options.cancels().cancel("req_1");

        send(chat("req_1", false));

        assertEquals(408, events.readValue().status());
        assertTrue(upstream.noCallPending());
    }

    @Test
    void shouldEmitOneStartedMarkerOutsideTheReplySequenceWhenACallStaysSilentForAWhile() {
        start(model(4));
        send(chat("req_1", true));
        final FakeUpstream.FakeCall call = upstream.nextCall();
        advance(CallScheduler.STARTED_MARKER_AFTER.minusMillis(1));
        assertTrue(events.markers().isEmpty(), "not before the call has been silent for STARTED_MARKER_AFTER");
        advance(Duration.ofMillis(1));
        call.chunk(CHUNK_A);
        call.complete(null);
        tick();

        final List<ResponseEvent> markers = events.markers();
        assertEquals(1, markers.size());
        assertEquals(EventType.STARTED, markers.getFirst().type());
        assertEquals(ResponseEvent.MARKER_SEQ, markers.getFirst().seq());
        assertEquals(2, markers.getFirst().replyPartition(), "on the asking gateway's partition");
        assertEquals("test-model", markers.getFirst().request().model(), "it describes the request");
        assertEquals(List.of(0L, 1L), events.readValuesToList().stream().map(ResponseEvent::seq).toList(),
                "the reply's seqs are not shifted by the marker");
    }

    @Test
    void shouldSendNoStartedMarkerWhenTheFirstEventComesSoonerAndDescribeTheRequestInIt() {
        start(model(4));
        send(chat("req_1", false));
        upstream.nextCall().complete(body("{\"id\":\"done\"}"));
        advance(CallScheduler.STARTED_MARKER_AFTER.multipliedBy(2));

        assertTrue(events.markers().isEmpty());
        final ResponseEvent complete = events.readValue();
        assertEquals(EventType.COMPLETE, complete.type());
        assertEquals("test-model", complete.request().model(), "the first event says what the request is");
        assertEquals("key-1", complete.request().keyId());
    }

    @Test
    void shouldEmitNoStartedMarkerWhenARequestNeverReachesTheHost() {
        start(model(4));
        options.cancels().cancel("req_1");

        send(chat("req_1", false));

        assertEquals(408, events.readValue().status());
        assertTrue(events.markers().isEmpty());
    }

    @Test
    void shouldAnswer504AndCountTheReasonWhenTheGatewayCancelsAtTheDeadline() {
        start(model(4));
        send(chat("req_1", false));
        final FakeUpstream.FakeCall call = upstream.nextCall();

        options.cancels().cancel(new CancelCommand("req_1", CancelReason.DEADLINE, NOW_MS));
        tick();

        final ResponseEvent event = events.readValue();
        assertEquals(504, event.status(), "expired, not merely cancelled");
        assertEquals("timeout", event.data().at("/error/code").asText());
        assertTrue(call.cancelled());
        assertEquals(1.0, meters.get("llmgw.worker.cancellations").tag("reason", "deadline").counter().count());
    }

    @Test
    void shouldHandTheRequestToTheFallbackModelWhenItsTriesRunOutBeforeAnyChunk() {
        start(model(4).withFallback("backup-model"));
        send(chat("req_1", true));

        for (int i = 0; i < 3; i++) {
            upstream.nextCall().fail(UpstreamFailure.fromStatus(503, null, null, Instant.now()));
            tick();
            advance(Duration.ofSeconds(1));
        }

        final RecordingSender.HandOver handOver = worker.sender.handOvers().getFirst();
        assertEquals(TOPICS.modelRequestsName("backup-model"), handOver.topic());
        final RequestEnvelope handedOver = handOver.request();
        assertEquals("req_1", handedOver.id());
        assertEquals("test-model", handedOver.model(), "still the model the client asked for");
        assertEquals(2, handedOver.attempt(), "a new attempt: the gateway never mixes it with the first");
        assertTrue(events.isEmpty(), "no error: the fallback answers");
        tick();
        assertNull(inFlight().get("req_1"));
        assertEquals(1.0, meters.get("llmgw.worker.fallbacks").tag("fallback", "backup-model").counter().count());
    }

    @Test
    void shouldFailWithoutFallingBackWhenTheHostRefusesTheRequestItself() {
        start(model(4).withFallback("backup-model"));
        send(chat("req_1", false));

        upstream.nextCall().fail(UpstreamFailure.fromStatus(400, null, null, Instant.now()));
        tick();

        assertEquals(400, events.readValue().status());
    }

    @Test
    void shouldNeverHandOnARequestThatWasHandedOverAlready() {
        start(new ModelSpec("backup-model", "http://unused/v1", null, null, 4, Duration.ofSeconds(10),
                Duration.ofSeconds(5), Duration.ofSeconds(60), 1, Duration.ofMillis(100)).withFallback("test-model"));
        final RequestEnvelope handedOver = chat("req_1", false).withAttempt(2);
        send(handedOver);

        upstream.nextCall().fail(UpstreamFailure.fromStatus(503, null, null, Instant.now()));
        tick();

        assertEquals(503, events.readValue().status(), "ends here: no loop between two models");
    }

    @Test
    void shouldNotCallTheHostAgainWhenACopyOfAFinishedRequestIsReadAgain() {
        start(model(4));
        send(chat("req_1", false));
        upstream.nextCall().complete(body("{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[]}"));
        tick();
        assertEquals(EventType.COMPLETE, events.readValue().type());
        assertNull(inFlight().get("req_1"), "ended and acknowledged");

        // a router that died before its commit routes the same request again
        send(chat("req_1", false));
        tick();

        assertTrue(upstream.noCallPending(), "the host is not called for the copy");
        assertTrue(events.isEmpty(), "and nothing is answered twice");
        assertNull(inFlight().get("req_1"));
        send(chat("req_2", false));
        assertEquals("req_2", upstream.nextCall().request().id(), "other requests still run");
    }

    @Test
    void shouldAnswer408AndCountOtherWhenACancelCarriesAReasonThisVersionDoesNotKnow() {
        start(model(4));
        send(chat("req_1", false));
        final FakeUpstream.FakeCall call = upstream.nextCall();
        final Decoded<CancelCommand> decoded = new JsonSerde<>(CancelCommand.class).decode(
                "{\"id\":\"req_1\",\"reason\":\"gateway_lost\",\"atMs\":1}".getBytes(StandardCharsets.UTF_8));

        options.cancels().cancel(((Decoded.Ok<CancelCommand>) decoded).value());
        tick();

        final ResponseEvent event = events.readValue();
        assertEquals(408, event.status());
        assertEquals("cancelled", event.data().at("/error/message").asText());
        assertTrue(call.cancelled());
        assertEquals(1.0, meters.get("llmgw.worker.cancellations").tag("reason", "other").counter().count());
    }

    @Test
    void shouldSendTheOriginalBytesWithTheReasonToTheDeadLetterTopicWhenARecordIsUnreadable() {
        start(model(4));
        final byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);

        task.requests.pipeInput("req_x", garbage);

        final TestRecord<String, byte[]> dead = deadLetters.readRecord();
        assertEquals("req_x", dead.key());
        assertArrayEquals(garbage, dead.value());
        assertTrue(header(dead, DeadLetterHeaders.REASON).startsWith("not a RequestEnvelope"));
        assertEquals("worker", header(dead, DeadLetterHeaders.STAGE));
        assertEquals(TOPICS.modelRequestsName("test-model"), header(dead, DeadLetterHeaders.SOURCE_TOPIC));
        assertEquals("0", header(dead, DeadLetterHeaders.SOURCE_OFFSET));
        assertTrue(events.isEmpty());
        assertTrue(upstream.noCallPending());
    }

    @Test
    void shouldDeadLetterAnEnvelopeWithoutBody() {
        start(model(4));

        task.requests.pipeInput("req_x", "{\"id\":\"req_x\",\"endpoint\":\"chat.completions\",\"model\":\"test-model\"}"
                .getBytes(StandardCharsets.UTF_8));

        assertEquals("envelope has no body", header(deadLetters.readRecord(), DeadLetterHeaders.REASON));
        assertTrue(upstream.noCallPending());
    }

    private static String header(final TestRecord<String, byte[]> record, final String name) {
        final Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
