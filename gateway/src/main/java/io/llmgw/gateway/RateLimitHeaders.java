package io.llmgw.gateway;

import io.javalin.http.Context;
import io.llmgw.limits.LimitDecision;

/**
 * OpenAI's rate-limit headers from an owner's {@link LimitDecision}: {@code x-ratelimit-limit-requests},
 * {@code -remaining-requests}, {@code -reset-requests} and the same for tokens, each trio only for a limit the key
 * has; {@code x-ratelimit-limit-concurrent} and {@code -remaining-concurrent} are ours. Resets are written the way
 * OpenAI writes them ({@code 20ms}, {@code 1.5s}, {@code 1m30s}).
 */
final class RateLimitHeaders {

    private RateLimitHeaders() {
    }

    static void write(final Context ctx, final LimitDecision decision) {
        if (decision.limitRequests() != null) {
            ctx.header("x-ratelimit-limit-requests", Integer.toString(decision.limitRequests()));
            ctx.header("x-ratelimit-remaining-requests", Long.toString(decision.remainingRequests()));
            ctx.header("x-ratelimit-reset-requests", duration(decision.resetRequestsMs()));
        }
        if (decision.limitTokens() != null) {
            ctx.header("x-ratelimit-limit-tokens", Integer.toString(decision.limitTokens()));
            ctx.header("x-ratelimit-remaining-tokens", Long.toString(decision.remainingTokens()));
            ctx.header("x-ratelimit-reset-tokens", duration(decision.resetTokensMs()));
        }
        if (decision.limitConcurrent() != null) {
            ctx.header("x-ratelimit-limit-concurrent", Integer.toString(decision.limitConcurrent()));
            ctx.header("x-ratelimit-remaining-concurrent",
                    Long.toString(Math.max(0, decision.limitConcurrent() - decision.concurrent())));
        }
    }

    /** {@code 0s}, {@code 250ms}, {@code 1.5s}, {@code 59.999s}, {@code 1m0s}. */
    static String duration(final long millis) {
        if (millis <= 0) {
            return "0s";
        }
        if (millis < 1000) {
            return millis + "ms";
        }
        if (millis < 60_000) {
            final String seconds = java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
            return seconds + "s";
        }
        final long minutes = millis / 60_000;
        final String rest = java.math.BigDecimal.valueOf(millis % 60_000, 3).stripTrailingZeros().toPlainString();
        return minutes + "m" + rest + "s";
    }
}
