package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.settings.Seconds;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

/**
 * How long one request may take: the smallest of the server's maximum ({@code GATEWAY_REQUEST_TIMEOUT}), the client's
 * {@code X-Request-Timeout} and the official SDKs' {@code X-Stainless-Timeout} (both in seconds, decimals allowed).
 * A client can shorten its deadline, never lengthen it past the server's.
 *
 * <p>A malformed {@code X-Request-Timeout} is refused with a 400: the caller wrote it and can fix it. A malformed
 * {@code X-Stainless-Timeout} is ignored: an SDK wrote it, and a request must not fail over an SDK's header.
 */
public final class RequestTimeouts {

    public static final String REQUEST_TIMEOUT_HEADER = "X-Request-Timeout";
    public static final String STAINLESS_TIMEOUT_HEADER = "X-Stainless-Timeout";

    private static final Duration YEAR = Duration.ofDays(365);

    /** What the headers decided. */
    public sealed interface Outcome {

        record Timeout(Duration value) implements Outcome {
        }

        record Invalid(ApiError error) implements Outcome {
        }
    }

    private RequestTimeouts() {
    }

    public static Outcome resolve(final Duration serverMax, final String requestTimeout, final String stainlessTimeout) {
        Duration timeout = serverMax;
        if (requestTimeout != null) {
            final Duration asked = seconds(requestTimeout);
            if (asked == null) {
                return new Outcome.Invalid(ApiError.badRequest(REQUEST_TIMEOUT_HEADER
                        + " must be a positive number of seconds, got '" + requestTimeout.strip() + "'.", null));
            }
            timeout = min(timeout, asked);
        }
        if (stainlessTimeout != null) {
            final Duration asked = seconds(stainlessTimeout);
            if (asked != null) {
                timeout = min(timeout, asked);
            }
        }
        return new Outcome.Timeout(timeout);
    }

    /** Positive decimal seconds as a duration (at least 1 ms), or null when the text is not that. */
    static Duration seconds(final String text) {
        return Seconds.parse(text)
                .filter(Duration::isPositive)
                // anything beyond a year is "no limit of mine": the server's maximum applies
                .map(asked -> min(asked, YEAR).truncatedTo(ChronoUnit.MILLIS))
                .map(asked -> asked.isZero() ? Duration.ofMillis(1) : asked)
                .orElse(null);
    }

    private static Duration min(final Duration a, final Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
