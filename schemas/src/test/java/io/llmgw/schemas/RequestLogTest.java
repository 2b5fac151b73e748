package io.llmgw.schemas;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RequestLogTest {

    @AfterEach
    void clear() {
        MDC.clear();
    }

    @Test
    void shouldCarryTheIdInsideTheScopeAndRemoveItAfterWhenNoneWasSet() {
        try (RequestLog.Scope ignored = RequestLog.scope("req-1")) {
            assertEquals("req-1", MDC.get(RequestLog.MDC_KEY));
        }
        assertNull(MDC.get(RequestLog.MDC_KEY));
    }

    @Test
    void shouldRestoreTheOuterIdWhenAnInnerScopeEnds() {
        try (RequestLog.Scope outer = RequestLog.scope("outer")) {
            try (RequestLog.Scope inner = RequestLog.scope("inner")) {
                assertEquals("inner", MDC.get(RequestLog.MDC_KEY));
            }
            assertEquals("outer", MDC.get(RequestLog.MDC_KEY));
        }
    }

    @Test
    void shouldRunTheLoggingWithTheIdWhenGivenOne() {
        final AtomicReference<String> seen = new AtomicReference<>();
        RequestLog.with("req-2", () -> seen.set(MDC.get(RequestLog.MDC_KEY)));
        assertEquals("req-2", seen.get());
        assertNull(MDC.get(RequestLog.MDC_KEY));
    }

    @Test
    void shouldClearTheIdInsideTheScopeWhenTheIdIsNull() {
        MDC.put(RequestLog.MDC_KEY, "stale");
        try (RequestLog.Scope ignored = RequestLog.scope(null)) {
            assertNull(MDC.get(RequestLog.MDC_KEY));
        }
        assertEquals("stale", MDC.get(RequestLog.MDC_KEY));
    }
}
