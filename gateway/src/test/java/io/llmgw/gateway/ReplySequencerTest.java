package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.llmgw.gateway.Events.chunk;
import static io.llmgw.gateway.Events.complete;
import static io.llmgw.gateway.Events.error;
import static io.llmgw.gateway.Events.marker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplySequencerTest {

    private static final String ID = "req_1";

    private final ReplySequencer sequencer = new ReplySequencer();
    private final List<Reply> seen = new ArrayList<>();

    private List<Reply> feed(final ResponseEvent... events) {
        final List<Reply> released = new ArrayList<>();
        for (final var event : events) {
            released.addAll(sequencer.accept(event));
        }
        seen.addAll(released);
        return released;
    }

    @Test
    void shouldDeliverChunksInOrderThenEndWhenEventsArriveInOrder() {
        feed(chunk(ID, 0, 1), chunk(ID, 1, 1), complete(ID, 2, 1, null));

        assertEquals(List.of(new Reply.Chunk(0, marker(0, 1)), new Reply.Chunk(1, marker(1, 1)), new Reply.Complete(2, null)),
                seen);
        assertTrue(sequencer.isFinished());
    }

    @Test
    void shouldDeliverCompleteAtOnceWhenNoChunkCameBefore() {
        final var completion = Events.completion("hi");

        assertEquals(List.of(new Reply.Complete(0, completion)), feed(complete(ID, 0, 1, completion)));
        assertTrue(sequencer.isFinished());
    }

    @Test
    void shouldDropDuplicatesWhenASeqArrivesTwice() {
        feed(chunk(ID, 0, 1), chunk(ID, 0, 1), chunk(ID, 1, 1), chunk(ID, 1, 1), chunk(ID, 0, 1));

        assertEquals(List.of(new Reply.Chunk(0, marker(0, 1)), new Reply.Chunk(1, marker(1, 1))), seen);
    }

    @Test
    void shouldHoldLaterChunksUntilTheGapFillsWhenEventsArriveOutOfOrder() {
        assertEquals(List.of(), feed(chunk(ID, 2, 1), chunk(ID, 1, 1)));
        assertFalse(sequencer.isFinished());
    }

    @Test
    void shouldReleaseEverythingWaitingWhenTheMissingChunkArrives() {
        feed(chunk(ID, 0, 1));
        assertEquals(List.of(), feed(chunk(ID, 3, 1), complete(ID, 4, 1, null), chunk(ID, 2, 1)));

        final List<Reply> released = feed(chunk(ID, 1, 1));

        assertEquals(List.of(new Reply.Chunk(1, marker(1, 1)), new Reply.Chunk(2, marker(2, 1)),
                new Reply.Chunk(3, marker(3, 1)), new Reply.Complete(4, null)), released);
        assertTrue(sequencer.isFinished());
    }

    @Test
    void shouldStartFromChunkZeroWhenLaterChunksArrivedFirst() {
        feed(chunk(ID, 1, 1), chunk(ID, 2, 1));

        final List<Reply> released = feed(chunk(ID, 0, 1));

        assertEquals(List.of(new Reply.Chunk(0, marker(0, 1)), new Reply.Chunk(1, marker(1, 1)),
                new Reply.Chunk(2, marker(2, 1))), released);
    }

    @Test
    void shouldEndWithAnErrorAtOnceWhateverItsSeqWhenAnErrorArrives() {
        feed(chunk(ID, 0, 1), chunk(ID, 2, 1));

        final List<Reply> released = feed(error(ID, 7, 1, ApiError.upstream(502, "host down")));

        assertEquals(List.of(new Reply.Failed(7, 502, ApiError.upstream(502, "host down").toJson())), released);
        assertTrue(sequencer.isFinished());
    }

    @Test
    void shouldEndWithAnErrorBeforeAnyChunkWhenAnErrorArrivesFirst() {
        final List<Reply> released = feed(error(ID, 0, 2, ApiError.timeout("expired")));

        assertEquals(List.of(new Reply.Failed(0, 504, ApiError.timeout("expired").toJson())), released);
    }

    @Test
    void shouldIgnoreLifecycleMarkersWhereverTheyArrive() {
        final RequestEnvelope request = new RequestEnvelope(ID, Endpoint.CHAT_COMPLETIONS, "m", true, Json.object(),
                0, 1, 0, "gw", null, 1, false);

        assertEquals(List.of(), feed(ResponseEvent.queued(request), ResponseEvent.started(request)));
        feed(chunk(ID, 0, 1), ResponseEvent.started(request.withAttempt(2)), chunk(ID, 1, 1));

        assertEquals(List.of(new Reply.Chunk(0, marker(0, 1)), new Reply.Chunk(1, marker(1, 1))), seen);
        assertFalse(sequencer.isFinished(), "a marker of a later attempt is no failover");
    }

    @Test
    void shouldDropEverythingWhenTheReplyHasEnded() {
        feed(chunk(ID, 0, 1), complete(ID, 1, 1, null));

        assertEquals(List.of(), feed(complete(ID, 1, 1, null), error(ID, 2, 1, ApiError.timeout("late")),
                chunk(ID, 2, 1), chunk(ID, 0, 2)));
    }

    @Test
    void shouldDeliverOnlyTheFirstOfDuplicateTerminalEventsWhenTheEndIsRepeated() {
        final var completion = Events.completion("once");

        feed(complete(ID, 0, 1, completion), complete(ID, 0, 1, completion), complete(ID, 0, 2, completion));

        assertEquals(List.of(new Reply.Complete(0, completion)), seen);
    }

    @Test
    void shouldFailTheStreamWhenALaterAttemptShowsUpAfterChunksWereDelivered() {
        feed(chunk(ID, 0, 1), chunk(ID, 1, 1));

        final List<Reply> released = feed(chunk(ID, 0, 2));

        assertEquals(1, released.size());
        final Reply.Failed failed = assertInstanceOf(Reply.Failed.class, released.getFirst());
        assertEquals(502, failed.status());
        assertEquals(ReplySequencer.FAILOVER_MESSAGE, failed.body().path("error").path("message").asText());
        assertTrue(sequencer.isFinished());
    }

    @Test
    void shouldFailTheStreamWhenALaterAttemptCompletesAfterChunksWereDelivered() {
        feed(chunk(ID, 0, 1));

        final List<Reply> released = feed(complete(ID, 0, 2, Events.completion("rerun")));

        assertInstanceOf(Reply.Failed.class, released.getFirst());
    }

    @Test
    void shouldIgnoreAnEarlierAttemptWhenTheStreamIsLockedToALaterOne() {
        feed(chunk(ID, 0, 2));

        assertEquals(List.of(), feed(chunk(ID, 1, 1), complete(ID, 2, 1, null)));
        assertEquals(List.of(new Reply.Chunk(1, marker(1, 2))), feed(chunk(ID, 1, 2)));
        assertFalse(sequencer.isFinished());
    }

    @Test
    void shouldIgnoreAStaleAttemptsErrorWhenTheStreamIsLockedToALaterOne() {
        feed(chunk(ID, 0, 2));

        assertEquals(List.of(), feed(Events.error(ID, 3, 1, ApiError.upstream(502, "the old worker's end"))));
        assertFalse(sequencer.isFinished());
        assertEquals(List.of(new Reply.Chunk(1, marker(1, 2))), feed(chunk(ID, 1, 2)));
    }

    @Test
    void shouldForgetWaitingChunksOfOtherAttemptsWhenChunkZeroLocksTheStream() {
        feed(chunk(ID, 1, 1), chunk(ID, 2, 1));

        assertEquals(List.of(new Reply.Chunk(0, marker(0, 2))), feed(chunk(ID, 0, 2)));
        assertEquals(List.of(new Reply.Chunk(1, marker(1, 2))), feed(chunk(ID, 1, 2)));
    }

    @Test
    void shouldEndWithAnErrorWhenTooManyEventsWaitForAGap() {
        feed(chunk(ID, 0, 1));
        final List<Reply> released = new ArrayList<>();
        for (int seq = 2; seq <= ReplySequencer.MAX_WAITING + 2; seq++) {
            released.addAll(sequencer.accept(chunk(ID, seq, 1)));
        }

        assertEquals(1, released.size());
        assertEquals(502, assertInstanceOf(Reply.Failed.class, released.getFirst()).status());
    }

    @Test
    void shouldTurnAnErrorWithoutAnOpenAiBodyIntoOneWhenAWorkerSendsSomethingElse() {
        final ResponseEvent event = new ResponseEvent(ID, 0, EventType.ERROR, null,
                Json.MAPPER.getNodeFactory().textNode("boom"), null, 0, 1);

        final Reply.Failed failed = assertInstanceOf(Reply.Failed.class, feed(event).getFirst());

        assertEquals(502, failed.status());
        assertTrue(failed.body().path("error").isObject());
        assertFalse(failed.body().path("error").path("message").asText().isBlank());
    }
}
