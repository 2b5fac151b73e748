package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultTableTest {

    @Test
    void shouldWarnAboutEveryPathWhoseWarmUpReachedItsCapAndOnlyThose() {
        final Map<String, Object> options = new LinkedHashMap<>();
        options.put("quick", true);
        options.put(ResultTable.WARMUP_PREFIX + "direct", Map.of("settled", true, "seconds", 3.1,
                "windowP50Ms", List.of(4.0, 1.0, 1.0)));
        options.put(ResultTable.WARMUP_PREFIX + "gateway", Map.of("settled", false, "seconds", 35.4,
                "windowP50Ms", List.of(3000.0, 120.0)));

        final String warning = ResultTable.unsettled(options);

        assertTrue(warning.startsWith("NOT SETTLED: gateway did not settle in its 35 s warm-up"),
                warning);
        assertEquals(1, warning.lines().count(), "the settled direct path gets no warning: " + warning);
    }

    @Test
    void shouldSayNothingWhenEveryPathSettledOrNoneWarmedUp() {
        assertEquals("", ResultTable.unsettled(Map.of(ResultTable.WARMUP_PREFIX + "gateway",
                Map.of("settled", true, "seconds", 20.0))));
        assertEquals("", ResultTable.unsettled(Map.of("quick", false)));
    }

    @Test
    void shouldSayTheGatewaysSustainedRateAsAShareOfThePeersAndDirectsWhenBothWereFound() {
        final BenchReport.MaxRate gateway = new BenchReport.MaxRate(50, 0.001, 2000.0, List.of());
        final BenchReport.MaxRate peer = new BenchReport.MaxRate(50, 0.001, 1130.0, List.of());
        final BenchReport.MaxRate direct = new BenchReport.MaxRate(50, 0.001, 8000.0, List.of());

        assertEquals("  gateway / peer sustained: 1.77\n  gateway / direct sustained: 0.25\n",
                ResultTable.sustainedRatios(gateway, peer, direct));
        assertEquals("  gateway / direct sustained: 0.25\n", ResultTable.sustainedRatios(gateway, null, direct));
        assertEquals("", ResultTable.sustainedRatios(new BenchReport.MaxRate(50, 0.001, null, List.of()), peer,
                direct), "no gateway rate passed: no ratio to give");
    }
}
