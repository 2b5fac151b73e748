package io.llmgw.app.broker;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real broker in a child JVM, found the way {@code ./llmgw} finds it (failsafe sets -Dllmgw.broker.lib). */
class EmbeddedKafkaIT {

    @TempDir
    Path dataDir;

    @Test
    void shouldCarryARecordAndLeaveNoProcessWhenClosed() throws Exception {
        final long pid;
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, BrokerLib.locate())) {
            pid = kafka.pid();
            createTopic(kafka.bootstrapServers(), "it.roundtrip");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("it.roundtrip", "id-1", "hello")).get(30, TimeUnit.SECONDS);
            }

            final ConsumerRecord<String, String> record = consumeOne(kafka.bootstrapServers(), "it.roundtrip");

            assertEquals("id-1", record.key());
            assertEquals("hello", record.value());
        }

        final Optional<ProcessHandle> child = ProcessHandle.of(pid);
        assertFalse(child.isPresent() && child.get().isAlive(), "the broker JVM " + pid + " is still running");
    }

    @Test
    void shouldReportTheChildsOutputWhenThePortIsTaken() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final EmbeddedKafka.Options options = EmbeddedKafka.Options.defaults().withPorts(taken.getLocalPort(), 0);

            final IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EmbeddedKafka.start(dataDir, BrokerLib.locate(), options));

            assertTrue(e.getMessage().contains("exited with code"), e.getMessage());
            assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
            assertFalse(e.getMessage().contains("\tat "), "stack frames in: " + e.getMessage());
        }
    }

    @Test
    void shouldFailClearlyWhenTheLibDirIsMissing() {
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> EmbeddedKafka.start(dataDir, dataDir.resolve("no-lib")));

        assertTrue(e.getMessage().contains("no-lib"), e.getMessage());
    }

    private static void createTopic(final String bootstrap, final String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static ConsumerRecord<String, String> consumeOne(final String bootstrap, final String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "embedded-kafka-it",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    return record;
                }
            }
        }
        throw new AssertionError("no record on " + topic + " within 30 s");
    }
}
