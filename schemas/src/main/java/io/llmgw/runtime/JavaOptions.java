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

    /**
     * Garbage-collector options of every JVM the project starts: {@code ./llmgw}, the image's entry point, each
     * embedded broker and each benchmark node (an operator's own options come after these, so they win).
     *
     * <p>{@code MaxTenuringThreshold=2}: what outlives two young collections here lives for good (client buffer
     * pools, Streams caches, directories), and per-request garbage dies in milliseconds. With G1's default of 15 and a
     * 600 MB eden, its survivor target is large enough that nothing was promoted: every young pause of the loaded
     * gateway copied the same 27-33 MB back and forth (GC log, {@code Object Copy} 87 of a 130 ms pause), so pauses
     * of 70-130 ms every 25 s set the gateway's p99. Promoted after two, the same load paused 22-37 ms
     * (BENCHMARKS.md, "Young pauses").
     */
    public static final List<String> GC = List.of("-XX:MaxTenuringThreshold=2");

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
