package io.llmgw.settings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecondsTest {

    @Test
    void shouldReadDecimalSecondsExactlyWhenParsed() {
        assertEquals(Optional.of(Duration.ofSeconds(30)), Seconds.parse("30"));
        assertEquals(Optional.of(Duration.ofMillis(1500)), Seconds.parse(" 1.5 "));
        assertEquals(Optional.of(Duration.ofNanos(1)), Seconds.parse("0.000000001"));
        assertEquals(Optional.of(Duration.ofSeconds(1000)), Seconds.parse("1e3"));
        assertEquals(Optional.of(Duration.ofMillis(-250)), Seconds.parse("-0.25"));
        assertEquals(Optional.of(Duration.ZERO), Seconds.parse("0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "soon", "1s", "NaN", "Infinity", "0x10"})
    void shouldFindNothingWhenTheTextIsNoDecimalNumber(final String text) {
        assertEquals(Optional.empty(), Seconds.parse(text));
    }

    @Test
    void shouldFindNothingWhenThereIsNoText() {
        assertEquals(Optional.empty(), Seconds.parse(null));
    }

    @Test
    void shouldSaturateInsteadOfOverflowingWhenTheValueIsHuge() {
        assertEquals(Duration.ofNanos(Long.MAX_VALUE), Seconds.parse("1e300").orElseThrow());
        assertEquals(Duration.ofNanos(Long.MIN_VALUE), Seconds.parse("-1e300").orElseThrow());
        assertEquals(Duration.ofNanos(Long.MAX_VALUE), Seconds.of(new BigDecimal("1e999999999")));
    }

    @Test
    void shouldUseTheSameParsingWhenASettingIsReadAsSeconds() {
        final Settings settings = Settings.of(Map.of("A", "0.5", "B", "ten"));

        assertEquals(Duration.ofMillis(500), settings.getSeconds("A", Duration.ZERO));
        assertEquals(Duration.ofSeconds(7), settings.getSeconds("MISSING", Duration.ofSeconds(7)));
        final IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> settings.getSeconds("B", Duration.ZERO));
        assertTrue(error.getMessage().startsWith("B has an invalid value: ten"), error.getMessage());
    }
}
