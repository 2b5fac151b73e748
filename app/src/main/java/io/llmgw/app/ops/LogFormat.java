package io.llmgw.app.ops;

import io.llmgw.settings.Settings;

import java.util.Locale;
import java.util.Set;

/**
 * How the process logs: {@code LOG_FORMAT} {@code text} (default) or {@code json}, at {@code LOG_LEVEL} (INFO).
 *
 * <p>Logback reads its configuration ({@code logback.xml}) when the first logger is created and knows only system
 * properties and the real environment, not {@code ./.env}. {@link #apply(Settings)} therefore hands the two settings to
 * it as system properties, checked, and must run before anything logs.
 */
public enum LogFormat {
    TEXT,
    JSON;

    public static final String FORMAT = "LOG_FORMAT";
    public static final String LEVEL = "LOG_LEVEL";
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

    /** The format named by {@code LOG_FORMAT}; throws {@link IllegalArgumentException} for any other value. */
    public static LogFormat from(final Settings settings) {
        final String value = settings.get(FORMAT, "text");
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException(FORMAT + " must be text or json, got " + value, e);
        }
    }

    /** The root level named by {@code LOG_LEVEL}, upper case; throws for a name logback does not know. */
    public static String level(final Settings settings) {
        final String level = settings.get(LEVEL, "INFO").toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw new IllegalArgumentException(LEVEL + " must be one of " + LEVELS + ", got " + level);
        }
        return level;
    }

    /** Sets the system properties {@code logback.xml} reads; call before the first logger is created. */
    public static void apply(final Settings settings) {
        // the appender names in logback.xml are the formats in lower case
        System.setProperty(FORMAT, from(settings).name().toLowerCase(Locale.ROOT));
        System.setProperty(LEVEL, level(settings));
    }
}
