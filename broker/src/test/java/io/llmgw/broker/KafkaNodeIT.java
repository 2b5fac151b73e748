package io.llmgw.broker;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(KafkaExitTrap.class)
class KafkaNodeIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void shouldKeepTopicsAndRecordsWhenRestartedOnTheSameLogDir() throws Exception {
        final BrokerArgs args = BrokerArgs.parse("--log-dir", tmp.resolve("kafka").toString());
        try (KafkaNode broker = KafkaNode.start(args, TIMEOUT)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", Optional.of(2), Optional.empty())))
                        .all().get(30, TimeUnit.SECONDS);
            }
            produce(broker.bootstrapServers(), "kept", "k", "v1");
        }

        // new free ports on purpose: a formatted dir must not depend on the ports of its first run
        try (KafkaNode again = KafkaNode.start(args, TIMEOUT)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, again.bootstrapServers()))) {
                final Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                assertTrue(topics.contains("kept"), topics::toString);
            }
            assertEquals(List.of("v1"), consumeValues(again.bootstrapServers(), "kept", 1));
        }
    }

    @Test
    void shouldReplicateNewTopicsToEveryNodeWhenThreeNodesFormOneCluster() throws Exception {
        // six ports each free on its own: the five after a free one may be in use (other builds' connections)
        final List<Integer> ports = LoopbackPorts.free(6);
        final ClusterLayout layout = new ClusterLayout(List.of(new ClusterLayout.Node(1, ports.get(0), ports.get(1)),
                new ClusterLayout.Node(2, ports.get(2), ports.get(3)), new ClusterLayout.Node(3, ports.get(4), ports.get(5))));
        final String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
        final List<CompletableFuture<KafkaNode>> starting = new ArrayList<>();
        for (final ClusterLayout.Node node : layout.nodes()) {
            // together: each node waits for a quorum of voters before it is ready
            starting.add(CompletableFuture.supplyAsync(() -> KafkaNode.start(new BrokerArgs(layout, node.id(),
                    tmp.resolve("node-" + node.id()), Optional.of(clusterId), Map.of()), TIMEOUT)));
        }
        final List<KafkaNode> nodes = new ArrayList<>();
        try {
            for (final CompletableFuture<KafkaNode> node : starting) {
                nodes.add(node.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            }
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, layout.bootstrapServers()))) {
                // no replication factor given, as TopicAdmin does without KAFKA_REPLICATION_FACTOR
                admin.createTopics(List.of(new NewTopic("replicated", Optional.of(2), Optional.empty())))
                        .all().get(30, TimeUnit.SECONDS);
                final TopicDescription topic = admin.describeTopics(List.of("replicated")).allTopicNames()
                        .get(30, TimeUnit.SECONDS).get("replicated");
                topic.partitions().forEach(p -> assertEquals(3, p.replicas().size(), p::toString));
                final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "replicated");
                final Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS)
                        .get(resource);
                assertEquals("2", config.get("min.insync.replicas").value());
            }
            produce(layout.bootstrapServers(), "replicated", "k", "v1");
            assertEquals(List.of("v1"), consumeValues(layout.bootstrapServers(), "replicated", 1));
        } finally {
            // all at once: the last node alone has no quorum to approve its controlled shutdown
            CompletableFuture.allOf(starting.stream().map(node -> node.thenAcceptAsync(KafkaNode::close))
                    .toArray(CompletableFuture[]::new)).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static void produce(final String bootstrap, final String topic, final String key, final String value)
            throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static List<String> consumeValues(final String bootstrap, final String topic, final int count) {
        final List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "it",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (values.size() < count && System.nanoTime() < deadline) {
                for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
