package io.llmgw.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;
import java.util.Optional;

/**
 * A request's scheduling class: a waiting request of a higher class always starts before any waiting request of a
 * lower one. Declared from the highest down, so {@link #ordinal()} is the order of admission. {@link #BATCH} is for
 * batch lines; clients cannot ask for it with {@code X-Priority}.
 */
public enum Priority {
    HIGH("high"),
    NORMAL("normal"),
    LOW("low"),
    BATCH("batch");

    private final String wireName;

    Priority(final String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** A client's {@code X-Priority} value (case-insensitive, surrounding blanks ignored); empty if it is none. */
    public static Optional<Priority> fromHeader(final String value) {
        if (value == null) {
            return Optional.empty();
        }
        final String wanted = value.strip().toLowerCase(Locale.ROOT);
        for (final Priority priority : new Priority[]{HIGH, NORMAL, LOW}) {
            if (priority.wireName.equals(wanted)) {
                return Optional.of(priority);
            }
        }
        return Optional.empty();
    }

    /** Reads the envelope field; a value this version does not know reads as {@link #NORMAL}, never as an error. */
    @JsonCreator
    public static Priority fromWireName(final String wireName) {
        for (final Priority priority : values()) {
            if (priority.wireName.equals(wireName)) {
                return priority;
            }
        }
        return NORMAL;
    }
}
