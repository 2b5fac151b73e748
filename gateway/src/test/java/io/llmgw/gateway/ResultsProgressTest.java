package io.llmgw.gateway;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultsProgressTest {

    private final ResultsProgress progress = new ResultsProgress();

    @Test
    void shouldWakeAWaitingLookupWhenTheResultsReachTheEndOffset() throws Exception {
        progress.read(3, 8);
        final CompletableFuture<Boolean> lookup = CompletableFuture.supplyAsync(() -> {
            try {
                return progress.awaitReached(3, 11, Duration.ofSeconds(5));
            } catch (final InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });

        progress.read(3, 9);
        assertFalse(lookup.isDone() && lookup.join(), "offset 10 not read yet");
        progress.read(3, 10);

        assertTrue(lookup.get(5, TimeUnit.SECONDS));
    }

    @Test
    void shouldGiveUpAfterTheTimeoutWhenThePartitionIsNotReadHere() throws Exception {
        progress.read(1, 100);
        progress.forget(1);

        assertFalse(progress.awaitReached(1, 5, Duration.ofMillis(50)), "a forgotten partition says nothing");
        assertFalse(progress.awaitReached(2, 1, Duration.ofMillis(50)));
    }
}
