package io.llmgw.gateway;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RateLimitHeadersTest {

    @Test
    void shouldWriteResetsTheWayOpenAiDoes() {
        assertEquals("0s", RateLimitHeaders.duration(0));
        assertEquals("20ms", RateLimitHeaders.duration(20));
        assertEquals("1s", RateLimitHeaders.duration(1000));
        assertEquals("1.5s", RateLimitHeaders.duration(1500));
        assertEquals("59.999s", RateLimitHeaders.duration(59_999));
        assertEquals("1m0s", RateLimitHeaders.duration(60_000));
        assertEquals("6m30.25s", RateLimitHeaders.duration(390_250));
    }
}
