package io.llmgw.simulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static io.llmgw.simulator.SimulatorHttp.WAIT;
import static io.llmgw.simulator.SimulatorHttp.chat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Starting, resetting and stopping a simulator of its own. */
class SimulatorLifecycleTest {

    @Test
    void shouldAnswerHealthOnLoopbackUrlWhenStarted() throws IOException {
        try (LlmSimulator simulator = LlmSimulator.start(SimulatorConfig.defaults().withoutDelays())) {
            assertTrue(simulator.port() > 0);
            assertEquals("http://127.0.0.1:" + simulator.port() + "/v1", simulator.baseUrl());
            final SimulatorHttp.Reply health = new SimulatorHttp(simulator).call(new okhttp3.Request.Builder()
                    .url(simulator.baseUrl().replace("/v1", "/health")).build());
            assertEquals(200, health.status());
            assertEquals("ok", health.json().path("status").asText());
        }
    }

    @Test
    void shouldStartFromZeroWhenStatsAreReset() throws IOException {
        try (LlmSimulator simulator = LlmSimulator.start(SimulatorConfig.defaults().withoutDelays())) {
            final SimulatorHttp http = new SimulatorHttp(simulator);
            final ObjectNode body = chat("count");
            body.putObject("x_sim").put("key", "reset-me");
            http.call(http.post("/chat/completions", body));
            assertEquals(1, simulator.totalRequests());

            simulator.resetStats();

            assertEquals(0, simulator.totalRequests());
            assertEquals(0, simulator.requestsForKey("reset-me"));
            assertEquals(0, simulator.requestsForModel("gpt-4o-mini"));
            assertTrue(simulator.recentRequests().isEmpty());
        }
    }

    @Test
    void shouldStopPromptlyAndBreakStreamsWhenClosedWithStreamsOpen() throws InterruptedException {
        final LlmSimulator simulator = LlmSimulator.start(SimulatorConfig.defaults().withoutDelays());
        final SimulatorHttp http = new SimulatorHttp(simulator);
        final ObjectNode body = chat("a b c").put("stream", true);
        body.putObject("x_sim").put("stall_after", 1).put("stall_ms", 600_000);
        final SimulatorHttp.StreamRecorder stream = http.stream(body);
        stream.nextData();
        await().atMost(WAIT).until(() -> simulator.openStreams() == 1);

        assertTimeoutPreemptively(Duration.ofSeconds(5), simulator::close);

        assertInstanceOf(SimulatorHttp.StreamEvent.Failure.class, stream.next(), "the stream breaks, no [DONE]");
        assertEquals(0, simulator.clientCancelCount(), "our own shutdown is not a client cancel");
        await().atMost(WAIT).until(() -> simulator.openStreams() == 0);
    }
}
