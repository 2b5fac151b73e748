package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchOptionsTest {

    @Test
    void shouldRunTheIssuesCasesWhenNoOptionIsGiven() throws BenchOptions.HelpRequested {
        final BenchOptions options = BenchOptions.parse(List.of());

        assertEquals(List.of(50.0, 200.0, 500.0, 1000.0), options.rates());
        assertEquals(List.of(200, 1000, 2000), options.streams());
        assertEquals(20.0, options.tokensPerSecond());
        assertTrue(options.findMax());
        assertTrue(options.hops(), "the full run traces the hops");
        assertTrue(options.peer(), "the full run measures the peer");
        assertEquals(50.0, options.maxP99Ms());
        assertFalse(options.quick());
        assertEquals(Optional.empty(), options.settleCap(), "the mode's own caps");
        assertEquals(Duration.ofSeconds(240), options.settleCapOf(true));
        assertEquals(Duration.ofSeconds(9), options.settleCapOf(false));
    }

    @Test
    void shouldShrinkEveryCaseWhenQuick() throws BenchOptions.HelpRequested {
        final BenchOptions options = BenchOptions.parse(List.of("--quick"));

        assertTrue(options.quick());
        assertEquals(List.of(100), options.streams());
        assertTrue(options.duration().compareTo(Duration.ofSeconds(15)) < 0);
        assertEquals(options.streamSeconds().toSeconds() * 20, options.tokensPerStream());
        assertFalse(options.findMax());
        assertFalse(options.hops(), "the quick run leaves its seconds to the gateway's warm-up");
        assertEquals(Duration.ofSeconds(55), options.settleCapOf(true));
        assertEquals(Duration.ofSeconds(4), options.settleCapOf(false));
        assertFalse(options.peer(), "the quick run skips the peer");
    }

    @Test
    void shouldLetExplicitOptionsWinWhenQuick() throws BenchOptions.HelpRequested {
        final BenchOptions options = BenchOptions.parse(List.of("--quick", "--rates", "10, 20", "--streams", "7",
                "--duration", "0.5", "--settle-cap", "0", "--no-max", "--profile", "--out", "/tmp/x"));

        assertEquals(List.of(10.0, 20.0), options.rates());
        assertEquals(List.of(7), options.streams());
        assertEquals(Duration.ofMillis(500), options.duration());
        assertEquals(Duration.ZERO, options.settleCapOf(true));
        assertFalse(options.findMax());
        assertTrue(options.profile());
        assertEquals(Optional.of(Path.of("/tmp/x")), options.out());
    }

    @Test
    void shouldMeasureThePeerInAQuickRunOnlyWhenAskedAndSkipItInAFullRunWhenTold() throws BenchOptions.HelpRequested {
        assertTrue(BenchOptions.parse(List.of("--quick", "--peer")).peer());
        assertFalse(BenchOptions.parse(List.of("--no-peer")).peer());
    }

    @Test
    void shouldTraceTheHopsInAQuickRunOnlyWhenAskedAndSkipThemInAFullRunWhenTold() throws BenchOptions.HelpRequested {
        assertTrue(BenchOptions.parse(List.of("--quick", "--hops")).hops());
        assertFalse(BenchOptions.parse(List.of("--no-hops")).hops());
    }

    @Test
    void shouldRefuseWhenAnOptionIsUnknownOrIncomplete() {
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of("--fast")));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of("--rates")));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of("--rates", "0")));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of("--streams", "many")));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of("--settle-cap", "-1")));
    }

    @Test
    void shouldAskForTheUsageWhenHelpIsGiven() {
        assertThrows(BenchOptions.HelpRequested.class, () -> BenchOptions.parse(List.of("--quick", "--help")));
        assertTrue(BenchOptions.USAGE.contains("--quick"));
    }
}
