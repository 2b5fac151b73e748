package io.llmgw.schemas;

import org.slf4j.MDC;

/**
 * Puts a request's id into the logging context ({@link MDC} key {@value #MDC_KEY}), so that every log line written
 * about a request carries the id as a field in JSON logs and in the text pattern, whatever the message says.
 *
 * <p>Threads in this project serve many requests in turn (Kafka Streams threads, callback threads), so the id is set
 * for a scope and the previous value is put back when it ends, never left behind for the next request's lines.
 */
public final class RequestLog {

    /** The MDC key, and the field name in JSON logs. */
    public static final String MDC_KEY = "request_id";

    private RequestLog() {
    }

    /** A scope in which log lines of this thread carry {@code requestId}; close it to restore the previous id. */
    public static Scope scope(final String requestId) {
        final String previous = MDC.get(MDC_KEY);
        if (requestId == null) {
            MDC.remove(MDC_KEY);
        } else {
            MDC.put(MDC_KEY, requestId);
        }
        return new Scope(previous);
    }

    /** Runs {@code logging} (one or a few log statements) with {@code requestId} in the logging context. */
    public static void with(final String requestId, final Runnable logging) {
        try (Scope ignored = scope(requestId)) {
            logging.run();
        }
    }

    /** Ends a {@link #scope(String)}: the thread's previous request id, or none, is back. */
    public static final class Scope implements AutoCloseable {

        private final String previous;

        private Scope(final String previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (previous == null) {
                MDC.remove(MDC_KEY);
            } else {
                MDC.put(MDC_KEY, previous);
            }
        }
    }
}
