package io.llmgw.runtime;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JavaOptionsTest {

    @Test
    void shouldSplitOnAnyWhitespaceAndGiveNoneForBlank() {
        assertEquals(List.of("-XX:TieredStopAtLevel=1", "-Xlog:gc"),
                JavaOptions.split("  -XX:TieredStopAtLevel=1 \t-Xlog:gc "));
        assertEquals(List.of(), JavaOptions.split("   "));
        assertEquals(List.of(), JavaOptions.split(null));
    }

    @Test
    void shouldPreferTheSystemPropertyToTheEnvironment() {
        System.setProperty("llmgw.test.java.options", "-Da=1 -Db=2");
        try {
            // PATH is set in every environment: the property must win over it
            assertEquals(List.of("-Da=1", "-Db=2"), JavaOptions.of("llmgw.test.java.options", "PATH"));
        } finally {
            System.clearProperty("llmgw.test.java.options");
        }
        assertEquals(JavaOptions.split(System.getenv("PATH")), JavaOptions.of("llmgw.test.java.options", "PATH"));
    }
}
