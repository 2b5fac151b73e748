package io.llmgw.app;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LlmgwOptionsTest {

    @Test
    void shouldRunOneNodeOn9092InDotLlmgwWhenKafkaHasNoOptions() {
        assertEquals(new Llmgw.KafkaOptions(1, 9092, Path.of(".llmgw", "kafka")), Llmgw.KafkaOptions.fromArgs(List.of()));
    }

    @Test
    void shouldReadNodesPortAndDataDirWhenGiven() {
        assertEquals(new Llmgw.KafkaOptions(3, 19092, Path.of("/var/kafka")),
                Llmgw.KafkaOptions.fromArgs(List.of("--nodes", "3", "--port=19092", "--data-dir", "/var/kafka")));
    }

    @Test
    void shouldRefuseUnknownOptionsAndBadNumbers() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Llmgw.KafkaOptions.fromArgs(List.of("--brokers", "3"))).getMessage().contains("--brokers"));
        assertThrows(IllegalArgumentException.class, () -> Llmgw.KafkaOptions.fromArgs(List.of("--nodes", "0")));
        assertThrows(IllegalArgumentException.class, () -> Llmgw.KafkaOptions.fromArgs(List.of("--port", "x")));
    }

    @Test
    void shouldStartThreeBrokersWhenDevIsAskedFor() {
        assertEquals(3, DevStack.Options.fromArgs(List.of("--brokers", "3")).brokers());
        assertEquals(1, DevStack.Options.fromArgs(List.of()).brokers());
        assertThrows(IllegalArgumentException.class, () -> DevStack.Options.fromArgs(List.of("--nodes", "3")));
    }
}
