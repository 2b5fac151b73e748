package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.settings.Seconds;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Why an upstream call failed, as the client will see it, and whether another try may succeed.
 *
 * @param error      the OpenAI-style error for the client (status already mapped)
 * @param retryable  true for connect errors, failures before any byte, 429 and 500/502/503/504
 * @param retryAfter the wait the host asked for ({@code Retry-After}), {@link Duration#ZERO} if none
 */
public record UpstreamFailure(ApiError error, boolean retryable, Duration retryAfter) {

    public UpstreamFailure {
        retryAfter = retryAfter == null || retryAfter.isNegative() ? Duration.ZERO : retryAfter;
    }

    /**
     * A non-2xx answer. The client gets a 4xx as is, with the host's message (the host judged the request); 500-504
     * as is; anything else as 502, since a gateway must not pass on statuses it cannot explain.
     */
    public static UpstreamFailure fromStatus(final int upstreamStatus, final JsonNode body, final String retryAfter,
                                             final Instant now) {
        final int status = upstreamStatus >= 400 && upstreamStatus <= 504 ? upstreamStatus : 502;
        final ApiError error = ApiError.fromBody(status, body, "the LLM host answered HTTP " + upstreamStatus);
        final boolean retryable = switch (upstreamStatus) {
            case 429, 500, 502, 503, 504 -> true;
            default -> false;
        };
        return new UpstreamFailure(error, retryable, parseRetryAfter(retryAfter, now));
    }

    /** The host could not be reached, or failed before sending anything: another try may work. */
    public static UpstreamFailure unreachable(final String message) {
        return new UpstreamFailure(ApiError.upstream(502, message), true, Duration.ZERO);
    }

    /** The host answered something unusable (cut stream, not JSON, wrong content type): do not retry. */
    public static UpstreamFailure badGateway(final String message) {
        return new UpstreamFailure(ApiError.upstream(502, message), false, Duration.ZERO);
    }

    /** {@code Retry-After} in seconds (decimals tolerated) or as an HTTP date; ZERO when absent or unreadable. */
    static Duration parseRetryAfter(final String header, final Instant now) {
        if (header == null || header.isBlank()) {
            return Duration.ZERO;
        }
        final String value = header.strip();
        final Optional<Duration> seconds = Seconds.parse(value);
        if (seconds.isPresent()) {
            return seconds.get().isNegative() ? Duration.ZERO : seconds.get();
        }
        try {
            final Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
        } catch (final DateTimeParseException notDate) {
            return Duration.ZERO;
        }
    }
}
