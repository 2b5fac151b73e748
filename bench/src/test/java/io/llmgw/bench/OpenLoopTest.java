package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenLoopTest {

    private static Executor after(final long millis) {
        return CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS);
    }

    @Test
    void shouldCountLatencyFromTheIntendedStartWhenTheSenderWasHeldUp() throws InterruptedException {
        // the first call holds the pacer for 200 ms, as a blocking client would: the 19 calls due meanwhile go out
        // late, and their latency must include that wait (no coordinated omission)
        final AtomicInteger calls = new AtomicInteger();
        final OpenLoop.Result result = OpenLoop.run(
                new OpenLoop.Plan(100, Duration.ZERO, Duration.ofMillis(400), Duration.ofSeconds(5), 100), () -> {
                    if (calls.getAndIncrement() == 0) {
                        CompletableFuture.runAsync(() -> { }, after(200)).join();
                    }
                    return CompletableFuture.completedFuture(Outcome.OK);
                });

        assertEquals(40, result.sent());
        assertEquals(40, result.ok());
        assertTrue(result.latency().max() >= 199, "max " + result.latency().max());
        assertTrue(result.latency().p90() >= 100, "p90 " + result.latency().p90());
    }

    @Test
    void shouldShedAndCountErrorsWhenTooManyCallsAreOutstanding() throws InterruptedException {
        final CompletableFuture<Void> released = CompletableFuture.runAsync(() -> { }, after(300));
        final OpenLoop.Result result = OpenLoop.run(
                new OpenLoop.Plan(100, Duration.ZERO, Duration.ofMillis(200), Duration.ofSeconds(5), 5),
                () -> released.thenApply(ignored -> Outcome.OK));

        assertEquals(20, result.sent());
        assertEquals(5, result.ok());
        assertEquals(Map.of("shed: client limit", 15L), result.errorKinds());
    }

    @Test
    void shouldCountTimeoutsWhenCallsNeverEnd() throws InterruptedException {
        final OpenLoop.Result result = OpenLoop.run(
                new OpenLoop.Plan(50, Duration.ZERO, Duration.ofMillis(100), Duration.ofMillis(50), 100),
                CompletableFuture::new);

        assertEquals(5, result.sent());
        assertEquals(Map.of("timeout", 5L), result.errorKinds());
        assertEquals(0, result.latency().count());
    }

    @Test
    void shouldLeaveWarmUpCallsOutOfTheCountsWhenAWarmUpIsPlanned() throws InterruptedException {
        final OpenLoop.Result result = OpenLoop.run(
                new OpenLoop.Plan(100, Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofSeconds(5), 100),
                () -> CompletableFuture.completedFuture(Outcome.failed("http 503")));

        assertEquals(20, result.sent());
        assertEquals(Map.of("http 503", 20L), result.errorKinds());
        assertEquals(0.0, result.achievedRate());
    }
}
