package io.llmgw.bench;

import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * How one measured operation ended: a success, or a failure with a short kind ({@code http 503}, {@code timeout},
 * {@code ConnectException}) that the error columns count.
 *
 * @param ok    whether the operation succeeded
 * @param error the failure kind, null on success
 */
record Outcome(boolean ok, String error) {

    static final Outcome OK = new Outcome(true, null);

    static Outcome failed(final String kind) {
        return new Outcome(false, kind);
    }

    /** A failure kind from an exception: {@code timeout}, or the class name of the root cause. */
    static Outcome failed(final Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        final boolean timeout = cause instanceof TimeoutException || cause instanceof HttpTimeoutException;
        return failed(timeout ? "timeout" : cause.getClass().getSimpleName());
    }
}
