package io.llmgw.gateway;

import io.llmgw.schemas.Priority;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchedulingHeadersTest {

    private static SchedulingHeaders.Outcome.Scheduling resolved(final String priority, final String fairnessKey) {
        return assertInstanceOf(SchedulingHeaders.Outcome.Scheduling.class,
                SchedulingHeaders.resolve(priority, fairnessKey));
    }

    @Test
    void shouldScheduleAsNormalWithoutFairnessKeyWhenNoHeaderIsSent() {
        assertEquals(new SchedulingHeaders.Outcome.Scheduling(Priority.NORMAL, null), resolved(null, null));
        assertEquals(new SchedulingHeaders.Outcome.Scheduling(Priority.NORMAL, null), resolved(" ", " "));
    }

    @Test
    void shouldReadThePriorityCaseInsensitivelyAndKeepTheFairnessKey() {
        assertEquals(new SchedulingHeaders.Outcome.Scheduling(Priority.HIGH, "user-42"), resolved("HIGH", " user-42 "));
        assertEquals(Priority.LOW, resolved("low", null).priority());
    }

    @Test
    void shouldRefuseAnUnknownPriorityWithA400NamingTheHeader() {
        for (final String bad : new String[]{"urgent", "batch", "1"}) {
            final var invalid = assertInstanceOf(SchedulingHeaders.Outcome.Invalid.class,
                    SchedulingHeaders.resolve(bad, null));
            assertEquals(400, invalid.error().status());
            assertTrue(invalid.error().message().startsWith("X-Priority must be one of high, normal or low"),
                    invalid.error().message());
        }
    }

    @Test
    void shouldCutAnOverlongFairnessKey() {
        assertEquals(SchedulingHeaders.MAX_FAIRNESS_KEY_LENGTH, resolved(null, "x".repeat(10_000)).fairnessKey().length());
        assertNull(resolved("normal", null).fairnessKey());
    }
}
