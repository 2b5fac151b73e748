package io.llmgw.processors;

import io.llmgw.schemas.EventType;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.llmgw.processors.TestRequests.NOW_MS;
import static io.llmgw.processors.TestRequests.body;
import static io.llmgw.processors.TestRequests.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guarantee 2 from the side of the task that takes over: the in-flight store already holds what the previous owner
 * started, as after a restart or a failover, and {@code init()} must resume it.
 */
class LlmCallProcessorRecoveryTest {

    private static final Topics TOPICS = new Topics("llm");
    private static final JsonSerde<InFlightEntry> ENTRIES = new JsonSerde<>(InFlightEntry.class);

    private final MockProcessorContext<String, Object> context = new MockProcessorContext<>();
    private WorkerHarness worker;
    private FakeUpstream upstream;
    @TempDir
    Path stateDir;
    private KeyValueStore<String, byte[]> store;
    private LlmCallProcessor processor;

    @BeforeEach
    void createStore() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(InFlightStore.NAME), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        context.setCurrentSystemTimeMs(NOW_MS);
        worker = new WorkerHarness(TestRequests.model("http://unused/v1"), stateDir, 1000);
        upstream = worker.upstream;
    }

    @AfterEach
    void stopWorker() {
        worker.close();
    }

    private void leftOver(final RequestEnvelope request, final boolean streamStarted) {
        store.put(request.id(), ENTRIES.encode(InFlightEntry.running(request, streamStarted)));
    }

    private void startTask() {
        processor = new LlmCallProcessor(TOPICS, worker.model, worker.options);
        processor.init(context);
    }

    private void punctuate() {
        context.scheduledPunctuators().getFirst().getPunctuator().punctuate(context.currentSystemTimeMs());
    }

    private List<ResponseEvent> forwardedEvents() {
        final List<ResponseEvent> all = new ArrayList<>(context.forwarded(WorkerTopology.EVENTS_SINK).stream()
                .map(forward -> (ResponseEvent) forward.record().value()).toList());
        context.resetForwards();
        all.addAll(worker.sender.drain());
        return all.stream().filter(event -> !event.type().isMarker()).toList();
    }

    private InFlightEntry stored(final String id) {
        final byte[] bytes = store.get(id);
        return bytes == null ? null : ENTRIES.deserializer().deserialize(InFlightStore.NAME, bytes);
    }

    @Test
    void shouldReRunWithTheNextAttemptWhenANonStreamingRequestWasLeftInFlight() {
        leftOver(chat("req_1", false), false);
        startTask();

        punctuate();

        final FakeUpstream.FakeCall call = upstream.nextCall();
        assertEquals(2, call.request().attempt());
        assertEquals(2, stored("req_1").request().attempt(), "the store follows the new attempt");
        call.complete(body("{\"id\":\"again\"}"));
        punctuate();
        final List<ResponseEvent> out = forwardedEvents();
        assertEquals(1, out.size());
        assertEquals(EventType.COMPLETE, out.getFirst().type());
        assertEquals(0, out.getFirst().seq(), "a new attempt starts at seq 0");
        assertEquals(2, out.getFirst().attempt());
        assertNull(store.get("req_1"));
    }

    @Test
    void shouldReRunAStreamThatHadNotEmittedAChunk() {
        leftOver(chat("req_1", true), false);
        startTask();

        punctuate();

        assertEquals(2, upstream.nextCall().request().attempt());
        assertTrue(forwardedEvents().isEmpty());
    }

    @Test
    void shouldEndAPartlyStreamedRequestWithAnErrorInsteadOfReRunningIt() {
        leftOver(chat("req_1", true), true);
        startTask();

        punctuate();

        final List<ResponseEvent> out = forwardedEvents();
        assertEquals(1, out.size());
        final ResponseEvent event = out.getFirst();
        assertEquals(EventType.ERROR, event.type());
        assertEquals(502, event.status());
        assertEquals(0, event.seq());
        assertEquals(2, event.attempt());
        assertEquals("the worker serving this stream stopped; partial stream cannot be resumed",
                event.data().at("/error/message").asText());
        assertTrue(upstream.noCallPending());
        assertNull(store.get("req_1"));
    }

    @Test
    void shouldAnswer504WithoutCallingTheHostWhenALeftoverHasExpired() {
        leftOver(chat("req_1", false, NOW_MS - 1), false);
        startTask();

        punctuate();

        final ResponseEvent event = forwardedEvents().getFirst();
        assertEquals(504, event.status());
        assertEquals(2, event.attempt());
        assertTrue(upstream.noCallPending());
        assertNull(store.get("req_1"));
    }

    @Test
    void shouldIgnoreTheRedeliveredRecordOfARequestItAlreadyResumed() {
        final RequestEnvelope request = chat("req_1", false);
        leftOver(request, false);
        startTask();

        processor.process(new Record<>("req_1", TOPICS.requests().valueSerde().encode(request), NOW_MS));

        assertEquals(2, upstream.nextCall().request().attempt());
        assertTrue(upstream.noCallPending(), "one call, not two");
    }

    @Test
    void shouldAbortRunningCallsButKeepTheirEntriesWhenTheTaskCloses() {
        startTask();
        processor.process(new Record<>("req_1", TOPICS.requests().valueSerde().encode(chat("req_1", true)), NOW_MS));
        final FakeUpstream.FakeCall call = upstream.nextCall();

        processor.close();

        assertTrue(call.cancelled(), "no GPU time for a result nobody will forward");
        assertEquals(1, stored("req_1").request().attempt(), "the next owner of the task resumes it");
        assertEquals(0, worker.scheduler.metrics().running(), "its slot is free for the instance's other tasks");
    }

    @Test
    void shouldDropAnUnreadableEntryInsteadOfFailingTheTask() {
        store.put("req_bad", "{broken".getBytes(StandardCharsets.UTF_8));
        leftOver(chat("req_1", false), false);
        startTask();

        punctuate();

        assertEquals("req_1", upstream.nextCall().request().id());
        assertNull(store.get("req_bad"));
        assertTrue(forwardedEvents().isEmpty());
    }
}
