package io.llmgw.bench;

import org.junit.jupiter.api.Test;

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
}
