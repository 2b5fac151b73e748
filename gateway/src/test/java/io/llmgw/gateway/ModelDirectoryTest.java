package io.llmgw.gateway;

import io.llmgw.schemas.ModelRoute;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelDirectoryTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final Topic<String, ModelRoute> models = new Topics("test").models();
    private final TopicPartition p0 = new TopicPartition(models.name(), 0);
    private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    private ModelDirectory directory;

    @AfterEach
    void stop() {
        if (directory != null) {
            directory.close();
        }
    }

    private final io.llmgw.runtime.ProcessFailure failure = io.llmgw.runtime.ProcessFailure.create();

    private static ModelRoute route(final String model) {
        return new ModelRoute(model, "test.requests." + model, "owner-" + model, 1_700_000_000L);
    }

    private ConsumerRecord<String, byte[]> record(final long offset, final String key, final byte[] value) {
        return new ConsumerRecord<>(p0.topic(), p0.partition(), offset, key, value);
    }

    private byte[] encoded(final ModelRoute route) {
        return models.valueSerde().encode(route);
    }

    private void startWithRegistryEndingAt(final long end) {
        final Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(models.name(),
                List.of(new PartitionInfo(models.name(), 0, node, new Node[]{node}, new Node[]{node})));
        consumer.updateBeginningOffsets(Map.of(p0, 0L));
        consumer.updateEndOffsets(Map.of(p0, end));
        directory = ModelDirectory.start(consumer, models, failure);
    }

    @Test
    void shouldLoadTheRegistryFromTheBeginningWhenStarted() {
        consumer.schedulePollTask(() -> {
            consumer.addRecord(record(0, "b", encoded(route("b"))));
            consumer.addRecord(record(1, "a", encoded(route("a"))));
            consumer.addRecord(record(2, "c", "{broken".getBytes(StandardCharsets.UTF_8)));
            consumer.addRecord(record(3, "d", encoded(route("not-d"))));
        });
        startWithRegistryEndingAt(4);

        await().atMost(WAIT).until(directory::isLoaded);

        assertEquals(List.of(route("a"), route("b")), directory.all());
        assertEquals(Optional.of(route("a")), directory.find("a"));
        assertEquals(Optional.empty(), directory.find("c"));
        assertEquals(Optional.empty(), directory.find("d"));
    }

    @Test
    void shouldNotBeLoadedWhenItHasNotReachedTheEndSeenAtStart() throws InterruptedException {
        final CountDownLatch secondPoll = new CountDownLatch(1);
        consumer.schedulePollTask(() -> consumer.addRecord(record(0, "a", encoded(route("a")))));
        consumer.schedulePollTask(secondPoll::countDown);
        startWithRegistryEndingAt(2);

        assertTrue(secondPoll.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));

        assertFalse(directory.isLoaded());
        assertEquals(Optional.of(route("a")), directory.find("a"));
    }

    @Test
    void shouldFollowUpdatesAndRemoveAModelWhenATombstoneArrives() {
        consumer.schedulePollTask(() -> consumer.addRecord(record(0, "a", encoded(route("a")))));
        startWithRegistryEndingAt(1);
        await().atMost(WAIT).until(directory::isLoaded);

        consumer.addRecord(record(1, "b", encoded(route("b"))));
        await().atMost(WAIT).until(() -> directory.find("b").isPresent());

        consumer.addRecord(record(2, "a", null));
        await().atMost(WAIT).until(() -> directory.find("a").isEmpty());
        assertEquals(List.of(route("b")), directory.all());
    }
}
