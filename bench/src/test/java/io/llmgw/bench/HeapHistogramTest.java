package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HeapHistogramTest {

    private static final String IDLE = """
             num     #instances         #bytes  class name (module)
            -------------------------------------------------------
               1:          1000          48000  [B (java.base@25.0.3)
               2:           500          12000  java.lang.String (java.base@25.0.3)
               3:            10            640  io.llmgw.gateway.PendingReply
            Total          1510          60640
            """;

    private static final String WAITING = """
             num     #instances         #bytes  class name (module)
            -------------------------------------------------------
               1:          3000         448000  [B (java.base@25.0.3)
               2:           110           7040  io.llmgw.gateway.PendingReply
               3:           500          12000  java.lang.String (java.base@25.0.3)
               4:           100           9600  java.lang.VirtualThread (java.base@25.0.3)
            Total          3710         476640
            """;

    @Test
    void shouldListTheClassesThatGrewPerWaitingRequestWhenComparedWithTheIdleHeap() {
        final Map<String, Double> growth = HeapHistogram.parse(WAITING).growthSince(HeapHistogram.parse(IDLE), 100, 10);

        assertEquals(List.of("[B", "java.lang.VirtualThread", "io.llmgw.gateway.PendingReply"),
                List.copyOf(growth.keySet()));
        assertEquals(4000.0, growth.get("[B"));
        assertEquals(96.0, growth.get("java.lang.VirtualThread"));
        assertEquals(64.0, growth.get("io.llmgw.gateway.PendingReply"));
    }

    @Test
    void shouldKeepOnlyTheLargestWhenALimitIsGiven() {
        assertEquals(1, HeapHistogram.parse(WAITING).growthSince(HeapHistogram.parse(IDLE), 1, 1).size());
    }
}
