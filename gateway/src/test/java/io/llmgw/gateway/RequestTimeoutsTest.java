package io.llmgw.gateway;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestTimeoutsTest {

    private static final Duration MAX = Duration.ofSeconds(600);

    private static Duration resolved(final String requestTimeout, final String stainlessTimeout) {
        return assertInstanceOf(RequestTimeouts.Outcome.Timeout.class,
                RequestTimeouts.resolve(MAX, requestTimeout, stainlessTimeout)).value();
    }

    @Test
    void shouldUseTheServerMaximumWhenNoHeaderIsSent() {
        assertEquals(MAX, resolved(null, null));
    }

    @Test
    void shouldTakeTheSmallestOfServerRequestAndStainlessTimeouts() {
        assertEquals(Duration.ofMillis(1500), resolved("1.5", null));
        assertEquals(Duration.ofSeconds(20), resolved(null, "20"));
        assertEquals(Duration.ofMillis(250), resolved("30", "0.25"));
        assertEquals(Duration.ofMillis(250), resolved(" 0.25 ", "30"));
    }

    @Test
    void shouldNeverLengthenTheServerMaximumWhenAClientAsksForMore() {
        assertEquals(MAX, resolved("86400", "1e9"));
    }

    @Test
    void shouldRefuseAMalformedRequestTimeoutWith400() {
        for (final String bad : new String[]{"soon", "0", "-1", "", "1s"}) {
            final RequestTimeouts.Outcome.Invalid invalid = assertInstanceOf(RequestTimeouts.Outcome.Invalid.class,
                    RequestTimeouts.resolve(MAX, bad, null), bad);
            assertEquals(400, invalid.error().status());
            assertTrue(invalid.error().message().contains("X-Request-Timeout"), invalid.error().message());
        }
    }

    @Test
    void shouldIgnoreAMalformedStainlessTimeoutSinceAnSdkWroteIt() {
        assertEquals(Duration.ofSeconds(5), resolved("5", "forever"));
        assertEquals(MAX, resolved(null, "0"));
    }

    @Test
    void shouldKeepAtLeastOneMillisecondWhenAskedForLess() {
        assertEquals(Duration.ofMillis(1), resolved("0.0001", null));
    }
}
