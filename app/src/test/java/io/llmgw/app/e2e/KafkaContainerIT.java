package io.llmgw.app.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

import java.util.Map;

/**
 * The predecessor's calls against Kafka in a container (the official apache/kafka image), for machines with Docker;
 * skipped cleanly where no Docker engine runs (as on our CI machines, where the embedded KRaft broker covers it).
 */
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerIT {

    @Container
    private static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.0");

    private static E2eStack stack;
    private static PredecessorCalls calls;

    @BeforeAll
    static void startStack() {
        stack = E2eStack.start(Map.of("BOOTSTRAP_SERVERS", KAFKA.getBootstrapServers()));
        calls = new PredecessorCalls(stack.client(), stack.stack().simulator().baseUrl());
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void shouldAnswerThePredecessorsFourCallsOnAContainerizedBroker() throws Exception {
        calls.chatSync(E2eStack.QWEN);
        calls.chatStream(E2eStack.QWEN);
        calls.completionSync(E2eStack.QWEN);
        calls.completionStream(E2eStack.QWEN);
    }
}
