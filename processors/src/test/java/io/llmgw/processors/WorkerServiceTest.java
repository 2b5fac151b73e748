package io.llmgw.processors;

import io.llmgw.schemas.Topics;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class WorkerServiceTest {

    private static final Topics TOPICS = new Topics("llm");

    private static ModelSpec model(final String name, final Duration total) {
        return new ModelSpec(name, "http://h/v1", null, null, 8, Duration.ofSeconds(1), Duration.ofSeconds(1), total,
                1, Duration.ZERO);
    }

    @Test
    void shouldShareOneLegalConsumerGroupPerModelWhenNamesHaveSlashes() {
        final String slashed = WorkerService.applicationId(TOPICS, model("Qwen/Qwen2.5-72B-Instruct-AWQ", Duration.ofMinutes(1)));
        final String underscored = WorkerService.applicationId(TOPICS, model("Qwen_Qwen2.5-72B-Instruct-AWQ", Duration.ofMinutes(1)));

        assertEquals("llm-worker-gpt-4o", WorkerService.applicationId(TOPICS, model("gpt-4o", Duration.ofMinutes(1))));
        assertEquals(slashed, WorkerService.applicationId(TOPICS, model("Qwen/Qwen2.5-72B-Instruct-AWQ", Duration.ofMinutes(1))));
        assertNotEquals(slashed, underscored, "two models never share a group");
        assertEquals(-1, slashed.indexOf('/'));
    }

    @Test
    void shouldKeepKafkasPollIntervalAndDetectADeadWorkerWithinSecondsWhenBuildingStreamsProperties() {
        final Properties props = WorkerService.streamsProperties(Settings.of(Map.of("WORKER_THREADS", "3")), TOPICS,
                model("m", Duration.ofMinutes(20)), Path.of("/tmp/state/worker-1"), null);

        assertEquals("llm-worker-m", props.get(StreamsConfig.APPLICATION_ID_CONFIG));
        assertEquals(3, props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
        assertEquals("/tmp/state/worker-1", props.get(StreamsConfig.STATE_DIR_CONFIG));
        assertNull(props.get(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG)),
                "process() never blocks: no stretched poll interval");
        assertEquals(6_000, props.get(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG)));
        assertEquals(600, props.get(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG)));
        assertNull(props.get(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)),
                "a random instance is a dynamic member");
        assertEquals("at_least_once", props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    }

    @Test
    void shouldBeAStaticMemberNamedAfterTheInstanceWhenItHasAnId() {
        final Properties props = WorkerService.streamsProperties(Settings.of(Map.of("WORKER_SESSION_TIMEOUT", "10")),
                TOPICS, model("m", Duration.ofSeconds(30)), Path.of("/tmp/s"), "gpu-a");

        assertEquals("llm-worker-m-gpu-a",
                props.get(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)));
        assertEquals(10_000, props.get(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG)));
    }
}
