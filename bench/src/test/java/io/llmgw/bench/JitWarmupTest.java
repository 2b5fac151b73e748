package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JitWarmupTest {

    @Test
    void shouldNotSettleWhileTheMedianKeepsFalling() {
        final JitWarmup.Settling settling = new JitWarmup.Settling();
        for (final double p50 : new double[] {1757, 400, 120, 40, 12, 4}) {
            settling.add(p50, true);
            assertFalse(settling.settled(), "p50 " + p50 + " still falls");
        }
    }

    @Test
    void shouldSettleAfterTwoWindowsNearTheBest() {
        final JitWarmup.Settling settling = new JitWarmup.Settling();
        settling.add(300, true);
        settling.add(5, true);
        settling.add(5.5, true);
        assertFalse(settling.settled());
        settling.add(4.9, true);
        assertTrue(settling.settled());
    }

    @Test
    void shouldNotCountWindowsThatShedOrFellBehind() {
        final JitWarmup.Settling settling = new JitWarmup.Settling();
        settling.add(5, true);
        settling.add(5, true);
        settling.add(5, false);
        settling.add(5, true);
        assertFalse(settling.settled(), "the unclean window reset the count");
        settling.add(5, true);
        assertTrue(settling.settled());
    }

    @Test
    void shouldNeverSettleOnTheFirstWindow() {
        final JitWarmup.Settling settling = new JitWarmup.Settling();
        settling.add(1, true);
        assertFalse(settling.settled());
    }

    @Test
    void shouldNotCountAWindowAsSettledWhileTheCompilersAreStillBusy() {
        final JitWarmup.Settling settling = new JitWarmup.Settling();
        settling.add(5, true, 0.01);
        settling.add(5, true, 0.2);
        settling.add(5, true, 0.2);
        assertFalse(settling.settled(), "flat latency, but C2 still used a fifth of a core");
        settling.add(5, true, 0.01);
        settling.add(5, true, 0.01);
        assertTrue(settling.settled());
    }

    @Test
    void shouldCountOnlyTheCompilerThreadsCpuTime() {
        final String c2 = "4242 (C2 CompilerThre) S 1 1 1 0 -1 1077936192 0 0 0 0 150 25 0 0 20 0 1 0 100 0 0";
        final String worker = "4243 (llm-worker-gpt) S 1 1 1 0 -1 1077936192 0 0 0 0 900 100 0 0 20 0 1 0 100 0 0";
        assertEquals(175, JitActivity.compilerTicksOf(c2), "utime + stime of a compiler thread");
        assertEquals(0, JitActivity.compilerTicksOf(worker), "other threads do not count");
        assertEquals(0, JitActivity.compilerTicksOf("garbage"));
    }

    @Test
    void shouldClimbToTheRateWhileThePathKeepsUpAndBackOffWhenItFallsBehind() {
        final JitWarmup.Ramp ramp = new JitWarmup.Ramp(200);
        assertEquals(50, ramp.rate(), "a cold path starts at a quarter of the rate");
        ramp.next(true, 40);
        assertEquals(100, ramp.rate());
        ramp.next(true, 40);
        assertEquals(200, ramp.rate());
        ramp.next(true, 40);
        assertEquals(200, ramp.rate(), "never beyond the rate");
        ramp.next(true, 900);
        assertEquals(100, ramp.rate(), "a queue building up (clean but slow) halves the rate");
        ramp.next(false, 10);
        ramp.next(false, 10);
        ramp.next(false, 10);
        assertEquals(25, ramp.rate(), "never below an eighth");
    }
}
