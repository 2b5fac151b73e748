package io.llmgw.gateway;

import io.llmgw.limits.LimitCommand;
import io.llmgw.limits.LimitDecision;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyCountersTest {

    /** The start of a second, so that "59 s later" is still inside its window and "60 s later" is not. */
    private static final long T0 = 1_700_000_000_000L;
    private static final long DEADLINE = T0 + 600_000;

    private static LimitCommand reserve(final String id, final Integer rpm, final Integer tpm, final Integer conc,
                                        final long tokens) {
        return LimitCommand.reserve(id, "key_1", rpm, tpm, conc, tokens, DEADLINE);
    }

    @Test
    void shouldAdmitExactlyTheRpmAndRefuseTheNextWithTheTimeUntilTheOldestLeaves() {
        KeyCounters counters = KeyCounters.EMPTY;
        for (int i = 0; i < 3; i++) {
            final KeyCounters.Reserved reserved = counters.reserve(reserve("r" + i, 3, null, null, 10), T0 + i * 1000);
            assertTrue(reserved.decision().allowed(), "request " + i);
            assertEquals(2 - i, reserved.decision().remainingRequests());
            counters = reserved.counters();
        }
        final KeyCounters.Reserved fourth = counters.reserve(reserve("r3", 3, null, null, 10), T0 + 10_000);

        assertFalse(fourth.decision().allowed());
        assertEquals(LimitDecision.RefusedBy.REQUESTS, fourth.decision().refusedBy());
        assertEquals(50_000, fourth.decision().retryAfterMs(), "the first request leaves the window at T0 + 60 s");
        assertEquals(52_000, fourth.decision().resetRequestsMs(), "all three have left at T0 + 62 s");
        assertEquals(3, fourth.counters().requests(), "a refusal counts nothing");
    }

    @Test
    void shouldAdmitAgainWhenTheOldestSecondHasLeftTheWindow() {
        KeyCounters counters = KeyCounters.EMPTY.reserve(reserve("a", 1, null, null, 1), T0).counters();
        counters = counters.settle("a", 1, T0 + 100);

        assertFalse(counters.reserve(reserve("b", 1, null, null, 1), T0 + 59_999).decision().allowed());
        assertTrue(counters.reserve(reserve("b", 1, null, null, 1), T0 + 60_000).decision().allowed());
    }

    @Test
    void shouldRefuseByTokensWhenTheReservationWouldPassTheTpm() {
        final KeyCounters counters = KeyCounters.EMPTY.reserve(reserve("a", null, 100, null, 70), T0).counters();

        final KeyCounters.Reserved refused = counters.reserve(reserve("b", null, 100, null, 40), T0 + 1000);
        assertEquals(LimitDecision.RefusedBy.TOKENS, refused.decision().refusedBy());
        assertEquals(30, refused.decision().remainingTokens());
        assertEquals(59_000, refused.decision().retryAfterMs());
        assertTrue(counters.reserve(reserve("c", null, 100, null, 30), T0 + 1000).decision().allowed());
    }

    @Test
    void shouldReplaceTheReservedTokensWithTheUsedOnesWhenTheRequestSettles() {
        final KeyCounters reserved = KeyCounters.EMPTY.reserve(reserve("a", null, 1000, null, 300), T0).counters();
        assertEquals(300, reserved.tokens());

        final KeyCounters settled = reserved.settle("a", 42, T0 + 2000);

        assertEquals(42, settled.tokens());
        assertEquals(1, settled.requests(), "a finished request still counts in its minute");
        assertTrue(settled.holds().isEmpty());
        assertEquals(958, settled.reserve(reserve("b", null, 1000, null, 0), T0 + 3000).decision().remainingTokens());
    }

    @Test
    void shouldKeepTheReservedTokensWhenTheHostReportedNoUsage() {
        final KeyCounters reserved = KeyCounters.EMPTY.reserve(reserve("a", null, 1000, null, 300), T0).counters();

        assertEquals(300, reserved.settle("a", -1, T0 + 10).tokens());
    }

    @Test
    void shouldChangeNothingWhenASettlementIsRepeatedOrUnknown() {
        final KeyCounters reserved = KeyCounters.EMPTY.reserve(reserve("a", null, 1000, null, 300), T0).counters();
        final KeyCounters settled = reserved.settle("a", 10, T0 + 10);

        assertSame(settled, settled.settle("a", 500, T0 + 20));
        assertSame(reserved, reserved.settle("nobody", 500, T0 + 20));
    }

    @Test
    void shouldRefuseTheConcurrentRequestOverTheLimitUntilOneFinishes() {
        KeyCounters counters = KeyCounters.EMPTY.reserve(reserve("a", null, null, 2, 1), T0).counters();
        counters = counters.reserve(reserve("b", null, null, 2, 1), T0).counters();

        final KeyCounters.Reserved third = counters.reserve(reserve("c", null, null, 2, 1), T0);
        assertEquals(LimitDecision.RefusedBy.CONCURRENT, third.decision().refusedBy());
        assertEquals(2, third.decision().concurrent());
        assertTrue(counters.settle("a", 1, T0 + 5).reserve(reserve("c", null, null, 2, 1), T0 + 5)
                .decision().allowed());
    }

    @Test
    void shouldStopCountingAFinishedRequestAsConcurrentButKeepItsTokensUntilItsUsageSettles() {
        final KeyCounters held = KeyCounters.EMPTY.reserve(reserve("a", null, 1000, 1, 300), T0).counters();

        final KeyCounters finished = held.finish("a", T0 + 5);

        assertEquals(0, finished.running());
        assertEquals(300, finished.tokens());
        assertTrue(finished.reserve(reserve("b", null, 1000, 1, 300), T0 + 6).decision().allowed());
        assertEquals(40, finished.settle("a", 40, T0 + 7).tokens());
        assertSame(finished, finished.finish("a", T0 + 8), "finishing twice changes nothing");
    }

    @Test
    void shouldGiveBackTheRequestAndItsTokensWhenItWasNeverPublished() {
        final KeyCounters reserved = KeyCounters.EMPTY.reserve(reserve("a", 1, 100, 1, 60), T0).counters();

        final KeyCounters released = reserved.release("a", T0 + 5);

        assertEquals(0, released.requests());
        assertEquals(0, released.tokens());
        assertTrue(released.holds().isEmpty());
        assertTrue(released.reserve(reserve("b", 1, 100, 1, 60), T0 + 6).decision().allowed());
    }

    @Test
    void shouldNotCountAReservationTwiceWhenItIsRedelivered() {
        final KeyCounters once = KeyCounters.EMPTY.reserve(reserve("a", 2, null, null, 1), T0).counters();

        final KeyCounters.Reserved again = once.reserve(reserve("a", 2, null, null, 1), T0 + 3);

        assertTrue(again.decision().allowed());
        assertEquals(1, again.counters().requests());
        assertNull(again.decision().refusedBy());
    }

    @Test
    void shouldFreeAPlaceNobodySettledSomeTimeAfterItsDeadline() {
        final KeyCounters held = KeyCounters.EMPTY.reserve(reserve("a", null, null, 1, 1), T0).counters();

        assertEquals(1, held.at(DEADLINE + KeyCounters.HOLD_GRACE_MS - 1).holds().size());
        final KeyCounters later = held.at(DEADLINE + KeyCounters.HOLD_GRACE_MS);
        assertTrue(later.isEmpty(), "the hold expired and its second left the window long ago");
    }

    @Test
    void shouldRefuseARequestLargerThanTheWholeTpmAndSayWhenTheWindowIsEmpty() {
        final KeyCounters.Reserved refused = KeyCounters.EMPTY.reserve(reserve("a", null, 100, null, 101), T0);

        assertFalse(refused.decision().allowed());
        assertEquals(60_000, refused.decision().retryAfterMs());
    }
}
