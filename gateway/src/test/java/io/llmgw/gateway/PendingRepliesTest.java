package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PendingRepliesTest {

    private static final Duration NOW = Duration.ZERO;

    private final PendingReplies pending = new PendingReplies();

    @Test
    void shouldIgnoreEventsWhenNobodyWaitsForThem() {
        assertFalse(pending.dispatch(Events.chunk("req_gone", 0, 1)));
    }

    @Test
    void shouldStopDeliveringWhenTheRequestIsUnregistered() throws InterruptedException {
        final PendingReply reply = pending.register("req_a");
        pending.unregister("req_a");

        assertFalse(pending.dispatch(Events.chunk("req_a", 0, 1)));
        assertNull(reply.next(NOW));
        assertEquals(0, pending.size());
    }

    @Test
    void shouldRefuseWhenAnIdIsRegisteredTwice() {
        pending.register("req_a");

        assertThrows(IllegalStateException.class, () -> pending.register("req_a"));
    }

    @Test
    void shouldEndEveryWaitingRequestAndIgnoreLaterEventsWhenAllAreFailed() throws InterruptedException {
        final PendingReply a = pending.register("req_a");
        final PendingReply b = pending.register("req_b");
        pending.dispatch(Events.chunk("req_b", 0, 1));

        final List<String> failed = pending.failAll(ApiError.unavailable("shutting down"));
        pending.dispatch(Events.chunk("req_a", 0, 1));

        assertEquals(2, failed.size());
        assertTrue(failed.containsAll(List.of("req_a", "req_b")));
        assertEquals(Reply.Failed.of(ApiError.unavailable("shutting down")), a.next(NOW));
        assertNull(a.next(NOW));
        assertEquals(new Reply.Chunk(0, Events.marker(0, 1)), b.next(NOW));
        assertEquals(Reply.Failed.of(ApiError.unavailable("shutting down")), b.next(NOW));
    }

    @Test
    void shouldNotFailARequestWhenItHasAlreadyEnded() throws InterruptedException {
        final PendingReply a = pending.register("req_a");
        pending.dispatch(Events.complete("req_a", 0, 1, Events.completion("done")));

        pending.failAll(ApiError.unavailable("shutting down"));

        assertEquals(new Reply.Complete(0, Events.completion("done")), a.next(NOW));
        assertNull(a.next(NOW));
    }
}
