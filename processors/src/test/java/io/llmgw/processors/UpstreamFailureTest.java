package io.llmgw.processors;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static io.llmgw.processors.TestRequests.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpstreamFailureTest {

    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    @Test
    void shouldKeep4xxAnd500To504AndMapOtherStatusesTo502() {
        assertEquals(404, UpstreamFailure.fromStatus(404, null, null, NOW).error().status());
        assertEquals(429, UpstreamFailure.fromStatus(429, null, null, NOW).error().status());
        assertEquals(504, UpstreamFailure.fromStatus(504, null, null, NOW).error().status());
        assertEquals(502, UpstreamFailure.fromStatus(507, null, null, NOW).error().status());
        assertEquals(502, UpstreamFailure.fromStatus(302, null, null, NOW).error().status());
    }

    @Test
    void shouldRetryOnlyRateLimitsAndServerErrorsWhenMappingStatuses() {
        for (final int status : new int[] {429, 500, 502, 503, 504}) {
            assertTrue(UpstreamFailure.fromStatus(status, null, null, NOW).retryable(), "status " + status);
        }
        for (final int status : new int[] {400, 401, 404, 422, 501, 507}) {
            assertFalse(UpstreamFailure.fromStatus(status, null, null, NOW).retryable(), "status " + status);
        }
    }

    @Test
    void shouldUseTheHostsMessageWhenTheBodyIsAnOpenAiError() {
        final UpstreamFailure failure = UpstreamFailure.fromStatus(429,
                body("{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\"}}"), null, NOW);

        assertEquals("slow down", failure.error().message());
        assertEquals("rate_limit_error", failure.error().type());
    }

    @Test
    void shouldReadRetryAfterAsSecondsOrHttpDateWhenPresent() {
        assertEquals(Duration.ofMillis(1500), UpstreamFailure.parseRetryAfter("1.5", NOW));
        assertEquals(Duration.ofSeconds(90), UpstreamFailure.parseRetryAfter("Thu, 26 Nov 2026 12:01:30 GMT", NOW));
        assertEquals(Duration.ZERO, UpstreamFailure.parseRetryAfter("Thu, 26 Nov 2026 11:00:00 GMT", NOW));
        assertEquals(Duration.ZERO, UpstreamFailure.parseRetryAfter("soon", NOW));
        assertEquals(Duration.ZERO, UpstreamFailure.parseRetryAfter(null, NOW));
        assertEquals(Duration.ZERO, UpstreamFailure.parseRetryAfter("-3", NOW));
    }
}
