package io.llmgw.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JfrHotspotsTest {

    @Test
    void shouldNameThePartOfThePathWhenTheThreadNameTellsIt() {
        assertEquals("router stream thread",
                JfrHotspots.part("llm-router-3d512dc0-5c94-4afa-b347-0c5203dbbe94-StreamThread-1", List.of()));
        assertEquals("worker stream thread",
                JfrHotspots.part("llm-worker-llmgw-bench-b5545201-StreamThread-1", List.of()));
        assertEquals("producer I/O: gateway",
                JfrHotspots.part("kafka-producer-network-thread | llmgw-gateway-vm-fad477", List.of()));
        assertEquals("gateway reply consumer", JfrHotspots.part("llmgw-reply-consumer", List.of()));
        assertEquals("JIT compiler", JfrHotspots.part("C2 CompilerThread0", List.of()));
        assertEquals("broker request handlers", JfrHotspots.part("data-plane-kafka-request-handler-3", List.of()));
    }

    @Test
    void shouldNameThePartFromTheStackWhenTheThreadIsAnUnnamedVirtualThread() {
        assertEquals("gateway HTTP handlers", JfrHotspots.part("",
                List.of("java.lang.Thread", "io.llmgw.gateway.CompletionsHandler", "org.eclipse.jetty.server.Server")));
        assertEquals("simulator", JfrHotspots.part("", List.of("io.llmgw.simulator.StreamedReply")));
        assertEquals("Jetty (gateway or simulator)", JfrHotspots.part("", List.of("org.eclipse.jetty.io.FillInterest")));
    }

    @Test
    void shouldGroupUnknownThreadsByNameWithoutNumbersWhenNothingElseTells() {
        assertEquals("other: kafka-scheduler-#", JfrHotspots.part("kafka-scheduler-7", List.of()));
        assertEquals("virtual threads (HTTP: Jetty, handlers, client)",
                JfrHotspots.part("ForkJoinPool-1-worker-2", List.of()));
    }
}
