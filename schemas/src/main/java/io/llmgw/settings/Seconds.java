package io.llmgw.settings;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;

/**
 * Durations written as decimal seconds, the one unit this project's settings, models file and headers use
 * ({@code 0.5}, {@code 30}, {@code 1e3}). Nanosecond precision; values beyond what a {@link Duration} of nanoseconds
 * holds (about 292 years) saturate instead of overflowing. Callers decide what a zero or negative value means.
 */
public final class Seconds {

    private static final BigDecimal MAX = BigDecimal.valueOf(Long.MAX_VALUE).movePointLeft(9);
    private static final BigDecimal MIN = BigDecimal.valueOf(Long.MIN_VALUE).movePointLeft(9);

    private Seconds() {
    }

    /** The duration {@code text} (surrounding blanks allowed) names, or empty when it is no decimal number. */
    public static Optional<Duration> parse(final String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(of(new BigDecimal(text.strip())));
        } catch (final NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** {@code seconds} as a duration, saturating at about ±292 years. */
    public static Duration of(final BigDecimal seconds) {
        if (seconds.compareTo(MAX) >= 0) {
            return Duration.ofNanos(Long.MAX_VALUE);
        }
        if (seconds.compareTo(MIN) <= 0) {
            return Duration.ofNanos(Long.MIN_VALUE);
        }
        return Duration.ofNanos(seconds.movePointRight(9).longValue());
    }
}
