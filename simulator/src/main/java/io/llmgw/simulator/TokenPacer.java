package io.llmgw.simulator;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** The delays of one reply: time to first token, then one gap per further token, each with the configured jitter. */
final class TokenPacer {

    private final long firstTokenNanos;
    private final long gapNanos;
    private final double jitter;

    TokenPacer(final long firstTokenNanos, final long gapNanos, final double jitter) {
        this.firstTokenNanos = firstTokenNanos;
        this.gapNanos = gapNanos;
        this.jitter = jitter;
    }

    static TokenPacer of(final SimulatorConfig config, final InjectedFaults faults) {
        final long ttftNanos = faults.ttftMs().isPresent()
                ? TimeUnit.MILLISECONDS.toNanos(faults.ttftMs().getAsLong()) : config.ttft().toNanos();
        final double tokensPerSecond = faults.tokensPerSecond().orElse(config.tokensPerSecond());
        final long gapNanos = tokensPerSecond == 0 ? 0 : Math.round(1e9 / tokensPerSecond);
        return new TokenPacer(ttftNanos, gapNanos, config.jitter());
    }

    long firstTokenNanos() {
        return jittered(firstTokenNanos);
    }

    long nextTokenNanos() {
        return jittered(gapNanos);
    }

    /** How long a host takes to generate {@code tokens} tokens before it can answer without streaming. */
    long wholeReplyNanos(final int tokens) {
        return jittered(firstTokenNanos + Math.max(0, tokens - 1) * gapNanos);
    }

    private long jittered(final long nanos) {
        if (nanos == 0 || jitter == 0) {
            return nanos;
        }
        return Math.round(nanos * (1 + jitter * ThreadLocalRandom.current().nextDouble(-1, 1)));
    }
}
