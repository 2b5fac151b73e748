package io.llmgw.broker;

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

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SingleNodeBrokerIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void shouldKeepTopicsAndRecordsWhenRestartedOnTheSameLogDir() throws Exception {
        final BrokerArgs args = BrokerArgs.parse("--log-dir", tmp.resolve("kafka").toString());
        try (SingleNodeBroker broker = SingleNodeBroker.start(args, TIMEOUT)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", Optional.of(2), Optional.empty())))
                        .all().get(30, TimeUnit.SECONDS);
            }
            produce(broker.bootstrapServers(), "kept", "k", "v1");
        }

        // new free ports on purpose: a formatted dir must not depend on the ports of its first run
        try (SingleNodeBroker again = SingleNodeBroker.start(args, TIMEOUT)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, again.bootstrapServers()))) {
                final Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                assertTrue(topics.contains("kept"), topics::toString);
            }
            assertEquals(List.of("v1"), consumeValues(again.bootstrapServers(), "kept", 1));
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
