package io.llmgw.app.broker;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
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
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Three broker JVMs as {@code ./llmgw kafka --nodes 3} runs them, stopped together, and started again on their data. */
class EmbeddedKafkaClusterIT {

    @TempDir
    Path dataDir;

    private static EmbeddedKafkaCluster.Options options(final int nodes, final int port) {
        return new EmbeddedKafkaCluster.Options(nodes, port, "256m", "", Duration.ofSeconds(120),
                Duration.ofSeconds(30), Map.of());
    }

    @Test
    void shouldReplicateToAllThreeStopTogetherAndKeepTheDataWhenStartedAgain() throws Exception {
        final String clusterId;
        final List<EmbeddedKafkaCluster.Member> members;
        final long stopMs;
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start(dataDir, BrokerLib.locate(), options(3, 0))) {
            members = cluster.members();
            assertEquals(3, members.size());
            try (Admin admin = admin(cluster)) {
                clusterId = admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
                assertEquals(cluster.clusterId(), clusterId);
                // no replication factor, as llmgw's topic creation does without KAFKA_REPLICATION_FACTOR
                admin.createTopics(List.of(new NewTopic("kept", Optional.of(2), Optional.empty())))
                        .all().get(30, TimeUnit.SECONDS);
                // created means the controller has it; the broker asked may learn of it a moment later
                final TopicDescription topic = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                        .until(() -> admin.describeTopics(List.of("kept")).allTopicNames()
                                .get(30, TimeUnit.SECONDS).get("kept"), Objects::nonNull);
                topic.partitions().forEach(p -> assertEquals(3, p.replicas().size(), p.toString()));
                final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "kept");
                assertEquals("2", admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS)
                        .get(resource).get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value());
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("kept", 0, "k", "v1")).get(30, TimeUnit.SECONDS);
            }
            final long stopStarted = System.nanoTime();
            cluster.close();
            stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopStarted);
        }
        for (final EmbeddedKafkaCluster.Member member : members) {
            assertFalse(ProcessHandle.of(member.pid()).map(ProcessHandle::isAlive).orElse(false),
                    "node " + member.id() + " is still running");
        }
        System.out.printf("EmbeddedKafkaClusterIT: three nodes stopped together in %d ms%n", stopMs);
        // SIGTERM to all at once; one node after the other took minutes (the last nodes wait for a lost quorum)
        assertTrue(stopMs < 30_000, "the cluster took " + stopMs + " ms to stop");

        try (EmbeddedKafkaCluster again = EmbeddedKafkaCluster.start(dataDir, BrokerLib.locate(), options(3, 0));
             Admin admin = admin(again)) {
            assertEquals(clusterId, admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
            assertEquals("v1", firstValue(again.bootstrapServers(), new TopicPartition("kept", 0)));
        }
    }

    @Test
    void shouldQuoteTheNodesOwnWordsWhenItsPortIsTaken() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EmbeddedKafkaCluster.start(dataDir, BrokerLib.locate(), options(1, taken.getLocalPort())));

            assertTrue(e.getMessage().contains("Kafka node 1 exited with code"), e.getMessage());
            assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
        }
    }

    private static Admin admin(final EmbeddedKafkaCluster cluster) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
    }

    private static String firstValue(final String bootstrap, final TopicPartition partition) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(partition));
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    return record.value();
                }
            }
        }
        throw new AssertionError("no record on " + partition + " within 60 s");
    }
}
