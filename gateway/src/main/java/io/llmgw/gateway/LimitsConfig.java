package io.llmgw.gateway;

import io.llmgw.settings.Settings;

import java.time.Duration;
import java.util.Locale;

/**
 * Settings of the per-key limits, parsed once.
 *
 * @param whenUnavailable {@code GATEWAY_LIMITS_UNAVAILABLE}: what a limited key's request gets when the limits app
 *                        does not answer within {@code timeout}; {@code closed} (default: 503, a limit is a promise
 *                        to whoever pays for the GPUs) or {@code open} (let in, uncounted)
 * @param timeout         {@code GATEWAY_LIMITS_TIMEOUT} in seconds, default 2
 * @param partitions      {@code LIMIT_PARTITIONS}, default 6: partitions of {@code llm.limits} and {@code llm.usage}
 *                        when the gateway creates them (the owners of keys are spread over them)
 */
public record LimitsConfig(WhenUnavailable whenUnavailable, Duration timeout, int partitions) {

    public static final String UNAVAILABLE = "GATEWAY_LIMITS_UNAVAILABLE";
    public static final String TIMEOUT = "GATEWAY_LIMITS_TIMEOUT";
    public static final String PARTITIONS = "LIMIT_PARTITIONS";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_PARTITIONS = 6;

    /** Fail closed or open. */
    public enum WhenUnavailable { OPEN, CLOSED }

    public LimitsConfig {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(TIMEOUT + " must be a positive number of seconds: " + timeout);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException(PARTITIONS + " must be at least 1: " + partitions);
        }
    }

    public static LimitsConfig from(final Settings settings) {
        final String mode = settings.get(UNAVAILABLE, "closed").strip().toLowerCase(Locale.ROOT);
        final WhenUnavailable whenUnavailable = switch (mode) {
            case "closed" -> WhenUnavailable.CLOSED;
            case "open" -> WhenUnavailable.OPEN;
            default -> throw new IllegalArgumentException(UNAVAILABLE + " must be open or closed: " + mode);
        };
        return new LimitsConfig(whenUnavailable, settings.getSeconds(TIMEOUT, DEFAULT_TIMEOUT),
                settings.getInt(PARTITIONS, DEFAULT_PARTITIONS));
    }
}
