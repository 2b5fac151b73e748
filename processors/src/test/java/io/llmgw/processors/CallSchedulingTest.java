package io.llmgw.processors;

import io.llmgw.schemas.EventType;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.Priority;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.llmgw.processors.TestRequests.NOW_MS;
import static io.llmgw.processors.TestRequests.body;
import static io.llmgw.processors.TestRequests.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The instance-wide cap and the admission order, through real tasks (one {@code TopologyTestDriver} each) that share
 * one scheduler on the test's thread, as the tasks of one worker instance share it on their stream threads.
 */
class CallSchedulingTest {

    private static final JsonSerde<InFlightEntry> ENTRIES = new JsonSerde<>(InFlightEntry.class);

    @TempDir
    Path stateDir;

    private WorkerHarness worker;

    @AfterEach
    void stop() {
        if (worker != null) {
            worker.close();
        }
    }

    private static ModelSpec model(final int concurrency) {
        return new ModelSpec("test-model", "http://unused/v1", null, null, concurrency, Duration.ofSeconds(10),
                Duration.ofSeconds(5), Duration.ofSeconds(60), 3, Duration.ofMillis(100));
    }

    private static RequestEnvelope request(final String id, final Priority priority, final String keyId,
                                           final String fairnessKey, final long deadlineMs) {
        final RequestEnvelope base = chat(id, false, deadlineMs);
        return new RequestEnvelope(base.id(), base.endpoint(), base.model(), false, base.body(), base.receivedAtMs(),
                deadlineMs, base.replyPartition(), base.gatewayId(), keyId, 1, false, priority, fairnessKey);
    }

    private static RequestEnvelope request(final String id, final Priority priority, final String keyId) {
        return request(id, priority, keyId, null, NOW_MS + 300_000);
    }

    /** Ends each call in turn as soon as it starts and returns the ids in the order they reached the host. */
    private List<String> drainInStartOrder(final FakeUpstream.FakeCall first, final int more) {
        final List<String> order = new ArrayList<>();
        FakeUpstream.FakeCall call = first;
        call.complete(body("{}"));
        for (int i = 0; i < more; i++) {
            call = worker.upstream.nextCall();
            order.add(call.request().id());
            call.complete(body("{}"));
        }
        assertTrue(worker.upstream.noCallPending());
        return order;
    }

    private InFlightEntry stored(final WorkerHarness.Task task, final String id) {
        final byte[] bytes = task.store().get(id);
        return bytes == null ? null : ENTRIES.deserializer().deserialize(InFlightStore.NAME, bytes);
    }

    @Test
    void shouldNeverRunMoreThanTheInstanceCapAcrossTasksAndStartTheNextWhenOneEnds() {
        worker = new WorkerHarness(model(2), stateDir, 1000);
        final List<WorkerHarness.Task> tasks = List.of(worker.task(), worker.task(), worker.task());
        for (int i = 0; i < 3; i++) {
            for (final WorkerHarness.Task task : tasks) {
                task.send(chat("req_" + tasks.indexOf(task) + "_" + i, false));
            }
        }
        final FakeUpstream.FakeCall a = worker.upstream.nextCall();
        final FakeUpstream.FakeCall b = worker.upstream.nextCall();
        assertTrue(worker.upstream.noCallPending(), "two slots for the instance, not two per task");

        a.complete(body("{}"));
        final FakeUpstream.FakeCall c = worker.upstream.nextCall();
        assertTrue(worker.upstream.noCallPending());
        b.complete(body("{}"));
        c.complete(body("{}"));
        for (int i = 0; i < 6; i++) {
            worker.upstream.nextCall().complete(body("{}"));
        }

        assertEquals(2, worker.upstream.maxRunning());
        assertTrue(worker.upstream.noCallPending());
        assertEquals(9, worker.events(tasks.toArray(WorkerHarness.Task[]::new)).readValuesToList().stream()
                .filter(ResponseEvent::isTerminal).count());
    }

    @Test
    void shouldRunOneCallAtATimeWithConcurrencyOneWhateverTheNumberOfTasks() {
        worker = new WorkerHarness(model(1), stateDir, 1000);
        for (int i = 0; i < 6; i++) {
            worker.task().send(chat("req_" + i, false));
        }

        assertEquals(5, drainInStartOrder(worker.upstream.nextCall(), 5).size());
        assertEquals(1, worker.upstream.maxRunning());
    }

    @Test
    void shouldStartEveryWaitingHighBeforeAnyNormalAndNormalBeforeLow() {
        worker = new WorkerHarness(model(1), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        task.send(chat("busy", false));
        final FakeUpstream.FakeCall busy = worker.upstream.nextCall();
        task.send(request("low_1", Priority.LOW, "k"));
        task.send(request("normal_1", Priority.NORMAL, "k"));
        task.send(request("low_2", Priority.LOW, "k"));
        task.send(request("high_1", Priority.HIGH, "k"));
        task.send(request("normal_2", Priority.NORMAL, "k"));
        task.send(request("high_2", Priority.HIGH, "k"));

        assertEquals(List.of("high_1", "high_2", "normal_1", "normal_2", "low_1", "low_2"), drainInStartOrder(busy, 6));
    }

    @Test
    void shouldLetCallersTakeTurnsSoThatOneCallersFloodDoesNotQueueAnotherBehindIt() {
        worker = new WorkerHarness(model(1), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        task.send(chat("busy", false));
        final FakeUpstream.FakeCall busy = worker.upstream.nextCall();
        for (int i = 1; i <= 4; i++) {
            task.send(request("a" + i, Priority.NORMAL, "key-a"));
        }
        task.send(request("b1", Priority.NORMAL, "key-b"));
        task.send(request("b2", Priority.NORMAL, "key-b"));

        assertEquals(List.of("a1", "b1", "a2", "b2", "a3", "a4"), drainInStartOrder(busy, 6));
    }

    @Test
    void shouldStartTheEarliestDeadlineFirstWithinOneCaller() {
        worker = new WorkerHarness(model(1), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        task.send(chat("busy", false));
        final FakeUpstream.FakeCall busy = worker.upstream.nextCall();
        task.send(request("late", Priority.NORMAL, "k", null, NOW_MS + 300_000));
        task.send(request("soon", Priority.NORMAL, "k", null, NOW_MS + 100_000));
        task.send(request("sooner", Priority.NORMAL, "k", null, NOW_MS + 50_000));

        assertEquals(List.of("sooner", "soon", "late"), drainInStartOrder(busy, 3));
    }

    @Test
    void shouldShareOneKeysTurnsAmongItsFairnessKeysRatherThanGiveEachTenantATurnOfItsOwn() {
        worker = new WorkerHarness(model(1), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        task.send(chat("busy", false));
        final FakeUpstream.FakeCall busy = worker.upstream.nextCall();
        task.send(request("a-u1-1", Priority.NORMAL, "key-a", "u1", NOW_MS + 300_000));
        task.send(request("a-u1-2", Priority.NORMAL, "key-a", "u1", NOW_MS + 300_000));
        task.send(request("a-u2-1", Priority.NORMAL, "key-a", "u2", NOW_MS + 300_000));
        task.send(request("a-u3-1", Priority.NORMAL, "key-a", "u3", NOW_MS + 300_000));
        task.send(request("b-1", Priority.NORMAL, "key-b"));
        task.send(request("b-2", Priority.NORMAL, "key-b"));

        assertEquals(List.of("a-u1-1", "b-1", "a-u2-1", "b-2", "a-u3-1", "a-u1-2"), drainInStartOrder(busy, 6));
    }

    @Test
    void shouldEndAWaitingRequestAtOnceWhenItIsCancelledAndNeverCallTheHostForIt() {
        worker = new WorkerHarness(model(1), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        final ReplyEvents events = worker.events(task);
        task.send(chat("running", false));
        final FakeUpstream.FakeCall running = worker.upstream.nextCall();
        task.send(chat("waiting", false));

        worker.cancels.cancel("waiting");
        worker.tick();

        final ResponseEvent event = events.readValue();
        assertEquals("waiting", event.id());
        assertEquals(408, event.status());
        assertNull(task.store().get("waiting"));
        assertFalse(running.cancelled(), "the running request keeps its slot");
        running.complete(body("{}"));
        assertTrue(worker.upstream.noCallPending(), "the LLM host never saw the cancelled request");
    }

    @Test
    void shouldAbortTheRunningAndEndTheWaitingRequestsOfAGatewayThatIsGoneButKeepItsAsyncOnes() {
        worker = new WorkerHarness(model(2), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        final ReplyEvents events = worker.events(task);
        final RequestEnvelope async = chat("async", false);
        task.send(chat("running", false));
        final FakeUpstream.FakeCall running = worker.upstream.nextCall();
        task.send(new RequestEnvelope(async.id(), async.endpoint(), async.model(), false, async.body(),
                async.receivedAtMs(), async.deadlineMs(), async.replyPartition(), async.gatewayId(), async.keyId(), 1,
                true));
        final FakeUpstream.FakeCall detached = worker.upstream.nextCall();
        task.send(chat("waiting", false));

        worker.cancels.gatewayGone(new CancelRegistry.GatewayGone("gw-1", NOW_MS + 1));
        worker.tick();

        final Map<String, Integer> ended = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            final ResponseEvent event = events.readValue();
            ended.put(event.id(), event.status());
        }
        assertEquals(Map.of("running", 408, "waiting", 408), ended);
        assertTrue(running.cancelled(), "the upstream call of the gone gateway's client is aborted");
        assertFalse(detached.cancelled(), "the async request keeps running");
        detached.complete(body("{}"));
        worker.tick();
        assertEquals("async", events.readValue().id());
        assertTrue(worker.upstream.noCallPending(), "the LLM host never saw the waiting request");
    }

    @Test
    void shouldEndAWaitingRequestAtItsDeadlineWithoutWaitingForASlot() {
        worker = new WorkerHarness(model(1), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        final ReplyEvents events = worker.events(task);
        task.send(chat("running", false));
        worker.upstream.nextCall();
        task.send(chat("waiting", false, NOW_MS + 3_000));

        worker.advance(Duration.ofMillis(2_999));
        assertTrue(events.isEmpty());
        worker.advance(Duration.ofMillis(1));

        final ResponseEvent event = events.readValue();
        assertEquals("waiting", event.id());
        assertEquals(504, event.status());
        assertEquals("deadline passed while the request waited for a free slot",
                event.data().at("/error/message").asText());
        assertTrue(worker.upstream.noCallPending());
    }

    @Test
    void shouldCountTheFirstTokenTimeoutFromTheStartOfTheCallNotFromTheRead() {
        worker = new WorkerHarness(model(1), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        final ReplyEvents events = worker.events(task);
        task.send(chat("busy", false));
        final FakeUpstream.FakeCall busy = worker.upstream.nextCall();
        task.send(chat("stream", true));

        worker.advance(Duration.ofSeconds(8));
        busy.complete(body("{}"));
        final FakeUpstream.FakeCall stream = worker.upstream.nextCall();
        assertEquals("stream", stream.request().id());
        events.readValuesToList();
        worker.advance(Duration.ofSeconds(9));
        assertTrue(events.isEmpty(), "17 s after the read, 9 s after the start: within the 10 s first-token timeout");
        worker.advance(Duration.ofSeconds(1));

        assertEquals(504, events.readValue().status());
        assertTrue(stream.cancelled());
    }

    @Test
    void shouldRecordARequestWhenReadAndForgetItOnlyOnceTheBrokerHasItsTerminalEvent() {
        worker = new WorkerHarness(model(1), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        task.send(chat("busy", false));
        final FakeUpstream.FakeCall busy = worker.upstream.nextCall();
        task.send(chat("next", false));
        assertEquals(InFlightEntry.State.WAITING, stored(task, "next").state(), "recorded before process() returned");

        worker.sender.holdDeliveries();
        busy.complete(body("{}"));
        final FakeUpstream.FakeCall next = worker.upstream.nextCall();
        worker.tick();
        assertNotNull(stored(task, "busy"), "its terminal event is not acknowledged yet");
        assertEquals(InFlightEntry.State.WAITING, stored(task, "next").state(),
                "starting writes nothing: a failover re-runs a waiting and a running request alike");

        worker.sender.releaseDeliveries();
        worker.tick();
        assertNull(stored(task, "busy"));
        next.complete(body("{}"));
        worker.tick();
        assertNull(stored(task, "next"));
    }

    @Test
    void shouldPauseReadingWhenTheReadAheadIsFullAndResumeWhenARequestStarts() {
        worker = new WorkerHarness(model(1), stateDir, 2);
        final WorkerHarness.Task task = worker.task();
        task.send(chat("running", false));
        final FakeUpstream.FakeCall running = worker.upstream.nextCall();
        task.send(chat("w1", false));
        assertTrue(worker.backpressure.isEmpty());
        task.send(chat("w2", false));
        assertEquals(List.of("pause"), worker.backpressure);

        running.complete(body("{}"));

        assertEquals(List.of("pause", "resume"), worker.backpressure);
        assertEquals("w1", worker.upstream.nextCall().request().id());
    }

    @Test
    void shouldReportWaitingRunningAndFreeSlotsByPriority() {
        worker = new WorkerHarness(model(2), stateDir, 1000);
        final WorkerHarness.Task task = worker.task();
        task.send(request("h", Priority.HIGH, "k"));
        task.send(request("n", Priority.NORMAL, "k"));
        task.send(request("l", Priority.LOW, "k"));

        assertEquals(1.0, gauge("llmgw.worker.running", "high"));
        assertEquals(1.0, gauge("llmgw.worker.running", "normal"));
        assertEquals(1.0, gauge("llmgw.worker.waiting", "low"));
        assertEquals(0.0, gauge("llmgw.worker.waiting", "normal"));
        assertEquals(0.0, worker.meters.get("llmgw.worker.slots.free").gauge().value());
        assertEquals(2.0, worker.meters.get("llmgw.worker.admissions").tag("caller", "k").counters().stream()
                .mapToDouble(c -> c.count()).sum());
        assertTrue(worker.events(task).markers().isEmpty(), "calls that have just started are not marked yet");
        worker.advance(CallScheduler.STARTED_MARKER_AFTER);
        assertEquals(List.of(EventType.STARTED, EventType.STARTED),
                worker.events(task).markers().stream().map(ResponseEvent::type).toList(), "one per running call");
    }

    private double gauge(final String name, final String priority) {
        return worker.meters.get(name).tag("priority", priority).gauge().value();
    }
}
