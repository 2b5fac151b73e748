package io.llmgw.runtime;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Extra options for a child JVM this process starts (a broker node, a benchmark node): a system property of this
 * JVM first (so a test run can set it for the whole JVM), else an environment variable (what an operator sets).
 * Whitespace separates the options; none of them may contain a space.
 */
public final class JavaOptions {

    /** Extra options of every embedded broker JVM ({@code ./llmgw dev}, {@code ./llmgw kafka}): this property... */
    public static final String BROKER_PROPERTY = "llmgw.broker.java.opts";
    /** ... else this environment variable. */
    public static final String BROKER_ENV = "LLMGW_BROKER_JAVA_OPTS";

    private JavaOptions() {
    }

    /** The extra options of a broker JVM. */
    public static List<String> broker() {
        return of(BROKER_PROPERTY, BROKER_ENV);
    }

    /** The options in {@code property}, else in {@code environmentVariable}, else none. */
    public static List<String> of(final String property, final String environmentVariable) {
        final String value = Optional.ofNullable(System.getProperty(property))
                .orElseGet(() -> System.getenv(environmentVariable));
        return split(value);
    }

    static List<String> split(final String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Arrays.asList(value.strip().split("\\s+"));
    }
}
