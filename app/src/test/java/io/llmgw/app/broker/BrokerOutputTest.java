package io.llmgw.app.broker;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BrokerOutputTest {

    private static final String READY = "LLMGW_BROKER_READY ";
    private static final String FAILED = "LLMGW_BROKER_FAILED ";

    @Test
    void shouldCompleteWithTheAddressWhenTheReadyLineArrives() throws Exception {
        final BrokerOutput output = read("WARN QuorumController: activation\n" + READY + "127.0.0.1:40123\n");

        assertEquals("127.0.0.1:40123", output.ready().get(5, TimeUnit.SECONDS));
        assertEquals(List.of("WARN QuorumController: activation"), output.lastLines());
    }

    @Test
    void shouldFailWithTheLastLinesWhenOutputEndsBeforeReady() {
        final BrokerOutput output = read("ERROR SocketServer: bind failed\njava.net.BindException: Address already in use\n");

        assertThrows(ExecutionException.class, () -> output.ready().get(5, TimeUnit.SECONDS));
        assertEquals(List.of("ERROR SocketServer: bind failed", "java.net.BindException: Address already in use"),
                output.lastLines());
    }

    @Test
    void shouldRememberTheReasonWhenTheChildReportsAFailedStart() {
        final BrokerOutput output = read("ERROR SocketServer: bind failed\n" + FAILED + "port 9092 is taken\n");

        assertEquals(Optional.of("port 9092 is taken"), output.failure());
        assertEquals(List.of("ERROR SocketServer: bind failed"), output.lastLines());
    }

    @Test
    void shouldKeepOnlyTheNewestLinesWhenOutputIsLong() {
        final String text = String.join("\n", IntStream.range(0, 100).mapToObj(i -> "INFO line " + i).toList());

        final List<String> kept = read(text).lastLines();

        assertEquals(BrokerOutput.KEPT_LINES, kept.size());
        assertEquals("INFO line 99", kept.getLast());
    }

    @Test
    void shouldReadTheLevelWhenALineStartsWithOne() {
        assertEquals(Level.WARN, BrokerOutput.levelOf("WARN QuorumController: x"));
        assertEquals(Level.ERROR, BrokerOutput.levelOf("FATAL KafkaRaftServer: x"));
        assertEquals(Level.WARN, BrokerOutput.levelOf("WARNING: A terminally deprecated method"));
        assertNull(BrokerOutput.levelOf("\tat kafka.network.SocketServer.enable(SocketServer.scala:1)"));
        assertNull(BrokerOutput.levelOf(""));
    }

    private static BrokerOutput read(final String text) {
        final BrokerOutput output = new BrokerOutput(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                READY, FAILED, LoggerFactory.getLogger(BrokerOutputTest.class));
        output.run();
        assertTrue(output.ready().isDone());
        return output;
    }
}
