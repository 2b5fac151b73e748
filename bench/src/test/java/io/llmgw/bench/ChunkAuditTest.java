package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkAuditTest {

    private static final List<String> EXPECTED = List.of("You", " said:", " s1t0", " s1t1", " s1t2");

    @Test
    void shouldBeCleanWhenEveryChunkArrivesOnceInOrder() {
        final ChunkAudit audit = feed(EXPECTED);

        final ChunkAudit.Verdict verdict = audit.verdict();
        assertTrue(verdict.clean());
        assertEquals(new ChunkAudit.Verdict(5, 5, 0, 0, 0, 0), verdict);
    }

    @Test
    void shouldCountLostChunksWhenSomeNeverArrive() {
        final ChunkAudit.Verdict verdict = feed(List.of("You", " s1t0", " s1t2")).verdict();

        assertEquals(2, verdict.lost());
        assertEquals(0, verdict.reordered());
        assertFalse(verdict.clean());
    }

    @Test
    void shouldCountDuplicatesWhenAChunkArrivesTwice() {
        final ChunkAudit.Verdict verdict = feed(List.of("You", " said:", " said:", " s1t0", " s1t1", " s1t2", "You"))
                .verdict();

        assertEquals(2, verdict.duplicated());
        assertEquals(0, verdict.lost());
        assertFalse(verdict.clean());
    }

    @Test
    void shouldCountReorderedChunksWhenOneArrivesAfterALaterOne() {
        final ChunkAudit.Verdict verdict = feed(List.of("You", " s1t0", " said:", " s1t2", " s1t1")).verdict();

        assertEquals(2, verdict.reordered());
        assertEquals(0, verdict.lost());
        assertEquals(0, verdict.duplicated());
    }

    @Test
    void shouldCountUnexpectedChunksWhenAnotherStreamsTokenArrives() {
        final ChunkAudit.Verdict verdict = feed(List.of("You", " said:", " s2t0", " s1t0", " s1t1", " s1t2"))
                .verdict();

        assertEquals(1, verdict.unexpected());
        assertEquals(6, verdict.received());
        assertFalse(verdict.clean());
    }

    private static ChunkAudit feed(final List<String> received) {
        final ChunkAudit audit = new ChunkAudit(EXPECTED);
        received.forEach(audit::accept);
        return audit;
    }
}
