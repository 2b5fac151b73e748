package io.llmgw.bench;

import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.settings.TopicAdmin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The bare Kafka floor: what the gateway path's three produce/consume hops cost without any of the gateway's work.
 * A round trip is produced to a "requests" topic, relayed by a plain consumer + producer to a "model" topic (the
 * router's hop), relayed again to an "events" topic (the worker's hop), and read back by a plain consumer (the
 * gateway's reply consumer), exactly as many hops as a request through the gateway takes.
 *
 * <p>The clients use the project's settings ({@link KafkaClientProps#producer} and {@link KafkaClientProps#consumer}:
 * acks=all, idempotence, no linger, fetches that return at once), the topics have the same partition counts as the
 * real ones (under the prefix {@code <TOPIC_PREFIX>-floor}), and records are about the size of a request envelope.
 *
 * <p>Threading: each relay and the reply reader own their consumer on one platform thread; {@link #roundTrip()} is
 * called from the pacer thread and completes its future on the reply reader's thread.
 */
final class KafkaFloor implements AutoCloseable {

    /** About the size of a request envelope or a completion event of the non-streaming case. */
    static final int DEFAULT_RECORD_BYTES = 600;

    private static final Logger LOG = LoggerFactory.getLogger(KafkaFloor.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaProducer<byte[], byte[]> producer;
    private final String firstTopic;
    private final byte[] payload;
    private final Map<String, CompletableFuture<Outcome>> waiting;
    private final AtomicLong nextKey = new AtomicLong();
    private final List<Reader> readers;

    private KafkaFloor(final KafkaProducer<byte[], byte[]> producer, final String firstTopic, final byte[] payload,
                       final Map<String, CompletableFuture<Outcome>> waiting, final List<Reader> readers) {
        this.producer = producer;
        this.firstTopic = firstTopic;
        this.payload = payload;
        this.waiting = waiting;
        this.readers = readers;
    }

    /** Creates the floor topics if missing, starts both relays and the reply reader, positioned at the end. */
    static KafkaFloor start(final Settings settings, final int recordBytes) throws InterruptedException {
        final Topics topics = new Topics(settings.get("TOPIC_PREFIX", Topics.DEFAULT_PREFIX) + "-floor");
        final String requests = topics.requests().name();
        final String model = topics.modelRequestsName("floor");
        final String events = topics.events().name();
        final TopicAdmin.TopicLayout layout = TopicAdmin.TopicLayout.from(settings);
        TopicAdmin.ensure(KafkaClientProps.common(settings), layout, List.of(
                TopicAdmin.Spec.of(requests, layout.requestPartitions()),
                TopicAdmin.Spec.of(model, layout.modelPartitions()),
                TopicAdmin.Spec.of(events, layout.eventPartitions())), KAFKA_TIMEOUT);

        final byte[] payload = new byte[recordBytes];
        Arrays.fill(payload, (byte) 'x');
        final KafkaProducer<byte[], byte[]> client = producer(settings, "client");
        final KafkaProducer<byte[], byte[]> routerHop = producer(settings, "router-hop");
        final KafkaProducer<byte[], byte[]> workerHop = producer(settings, "worker-hop");
        final Map<String, CompletableFuture<Outcome>> waiting = new ConcurrentHashMap<>();
        final List<Reader> readers = List.of(
                new Reader(settings, requests, "router-hop",
                        (key, value) -> routerHop.send(new ProducerRecord<>(model, key, value)), routerHop),
                new Reader(settings, model, "worker-hop",
                        (key, value) -> workerHop.send(new ProducerRecord<>(events, key, value)), workerHop),
                new Reader(settings, events, "replies", (key, value) -> replied(waiting, key), null));
        final KafkaFloor floor = new KafkaFloor(client, requests, payload, waiting, readers);
        try {
            for (final Reader reader : readers) {
                reader.start();
            }
            for (final Reader reader : readers) {
                reader.awaitPositioned(KAFKA_TIMEOUT);
            }
        } catch (final RuntimeException | InterruptedException e) {
            floor.close();
            throw e;
        }
        return floor;
    }

    /** One round trip over the three hops; completes when the record comes back, or fails when a produce fails. */
    CompletableFuture<Outcome> roundTrip() {
        final String key = Long.toString(nextKey.incrementAndGet());
        final CompletableFuture<Outcome> done = new CompletableFuture<>();
        waiting.put(key, done);
        // the future may time out in the load generator: forget it then, so a late record finds nobody
        done.whenComplete((outcome, error) -> waiting.remove(key));
        producer.send(new ProducerRecord<>(firstTopic, key.getBytes(StandardCharsets.UTF_8), payload), (meta, error) -> {
            if (error != null) {
                done.complete(Outcome.failed(error));
            }
        });
        return done;
    }

    private static void replied(final Map<String, CompletableFuture<Outcome>> waiting, final byte[] key) {
        final CompletableFuture<Outcome> done = waiting.get(new String(key, StandardCharsets.UTF_8));
        if (done != null) {
            done.complete(Outcome.OK);
        }
    }

    @Override
    public void close() {
        readers.forEach(Reader::close);
        producer.close(Duration.ofSeconds(5));
    }

    private static KafkaProducer<byte[], byte[]> producer(final Settings settings, final String role) {
        final Map<String, Object> props = KafkaClientProps.producer(settings);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "llmgw-bench-floor-" + role);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A consumer of every partition of one topic, from its end, handing each record to {@code onRecord}. */
    private static final class Reader implements AutoCloseable {

        private final KafkaConsumer<byte[], byte[]> consumer;
        private final String topic;
        private final BiConsumer<byte[], byte[]> onRecord;
        private final KafkaProducer<byte[], byte[]> ownProducer;
        private final Thread thread;
        private final CountDownLatch positioned = new CountDownLatch(1);
        private volatile boolean running = true;

        Reader(final Settings settings, final String topic, final String role,
               final BiConsumer<byte[], byte[]> onRecord, final KafkaProducer<byte[], byte[]> ownProducer) {
            final Map<String, Object> props = KafkaClientProps.consumer(settings);
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-bench-floor-" + role);
            this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            this.topic = topic;
            this.onRecord = onRecord;
            this.ownProducer = ownProducer;
            this.thread = Thread.ofPlatform().name("bench-floor-" + role).daemon().unstarted(this::run);
        }

        void start() {
            thread.start();
        }

        void awaitPositioned(final Duration timeout) throws InterruptedException {
            if (!positioned.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the Kafka floor's reader of " + topic + " did not start within "
                        + timeout);
            }
        }

        private void run() {
            try {
                final List<TopicPartition> partitions = consumer.partitionsFor(topic, KAFKA_TIMEOUT).stream()
                        .map((final PartitionInfo p) -> new TopicPartition(topic, p.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToEnd(partitions);
                partitions.forEach(consumer::position);
                positioned.countDown();
                while (running) {
                    for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                        onRecord.accept(record.key(), record.value());
                    }
                }
            } catch (final WakeupException e) {
                // close() asked us to stop
            } catch (final KafkaException e) {
                LOG.error("the Kafka floor's reader of {} failed; its round trips will time out", topic, e);
            } finally {
                consumer.close();
            }
        }

        @Override
        public void close() {
            running = false;
            consumer.wakeup();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (ownProducer != null) {
                ownProducer.close(Duration.ofSeconds(5));
            }
        }
    }
}
