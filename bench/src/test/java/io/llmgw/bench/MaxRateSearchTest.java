package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaxRateSearchTest {

    /** A system that answers in 1 ms up to its capacity and in a second beyond it. */
    private static MaxRateSearch.Step systemWithCapacity(final double capacity) {
        return rate -> new OpenLoop.Result(rate, rate, 100, 100, 0, Map.of(),
                rate <= capacity ? latency(1) : latency(1000));
    }

    private static LatencyStats latency(final double p99) {
        return new LatencyStats(100, p99 / 2, p99, p99, p99, p99 / 2);
    }

    @Test
    void shouldDoubleUntilAFailureThenBisectWhenTheCapacityLiesBetween() throws InterruptedException {
        final MaxRateSearch.Found found = MaxRateSearch.search(500, 32_000, 3, r -> r.latency().p99() <= 50,
                systemWithCapacity(1700));

        assertEquals(List.of(500.0, 1000.0, 2000.0, 1500.0, 1750.0, 1630.0),
                found.trials().stream().map(MaxRateSearch.Trial::rate).toList());
        assertEquals(1630.0, found.best().orElseThrow().rate());
    }

    @Test
    void shouldFindNothingWhenEvenTheFirstRateFails() throws InterruptedException {
        final MaxRateSearch.Found found = MaxRateSearch.search(500, 32_000, 1, r -> r.latency().p99() <= 50,
                systemWithCapacity(100));

        assertTrue(found.best().isEmpty());
        assertEquals(List.of(500.0, 250.0), found.trials().stream().map(MaxRateSearch.Trial::rate).toList());
    }

    @Test
    void shouldStopAtTheLimitWhenEveryRatePasses() throws InterruptedException {
        final MaxRateSearch.Found found = MaxRateSearch.search(500, 4000, 3, r -> true, systemWithCapacity(1e9));

        assertEquals(4000.0, found.best().orElseThrow().rate());
        assertEquals(4, found.trials().size());
    }

    @Test
    void shouldRoundRatesToTensWhenTheyAreAboveAHundred() {
        assertEquals(1440.0, MaxRateSearch.roundRate(1437.5));
        assertEquals(63.0, MaxRateSearch.roundRate(62.5));
        assertEquals(1.0, MaxRateSearch.roundRate(0.2));
    }
}
