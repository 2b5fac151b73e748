package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NodeProcessTest {

    @Test
    void shouldReadKeyValuePairsWhenANodeReports() {
        assertEquals(Map.of("gateway", "41234", "simulator", "http://127.0.0.1:5/v1", "bootstrap", "127.0.0.1:9"),
                NodeProcess.pairs("READY gateway=41234 simulator=http://127.0.0.1:5/v1 bootstrap=127.0.0.1:9"));
    }
}
