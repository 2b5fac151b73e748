package io.llmgw.gateway;

import io.llmgw.runtime.ProcessFailure;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.ModelRoute;
import io.llmgw.schemas.Topic;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The gateway's view of the compacted model registry ({@code topics.models()}): read from the beginning, then kept
 * up to date for the life of the process; a tombstone removes a model. A record it cannot use is skipped and counted
 * (every gateway and router reads every registry record, so none of them dead-letters it); if the loop dies anyway it
 * reports to {@link ProcessFailure}.
 *
 * <p>Threading: one platform thread owns the consumer and is the only writer of {@code routes}; HTTP handlers read
 * the concurrent map. Other threads only call {@link Consumer#wakeup()} (in {@link #close()}).
 */
public final class ModelDirectory implements ModelCatalog, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelDirectory.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final Consumer<String, byte[]> consumer;
    private final Topic<String, ModelRoute> topic;
    private final Map<String, ModelRoute> routes = new ConcurrentSkipListMap<>();
    private final ProcessFailure failure;
    private final LongAdder unreadable = new LongAdder();
    private final Thread thread;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean loaded;
    private Map<TopicPartition, Long> endAtStart;

    ModelDirectory(final Consumer<String, byte[]> consumer, final Topic<String, ModelRoute> topic,
                   final ProcessFailure failure) {
        this.consumer = consumer;
        this.failure = failure;
        this.topic = topic;
        this.thread = Thread.ofPlatform().name("llmgw-model-directory").daemon().unstarted(this::run);
    }

    public static ModelDirectory start(final Settings settings, final GatewayConfig config,
                                       final ProcessFailure failure) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-gateway-models-" + config.gatewayId());
        return start(new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer()),
                config.topics().models(), failure);
    }

    static ModelDirectory start(final Consumer<String, byte[]> consumer, final Topic<String, ModelRoute> topic,
                                final ProcessFailure failure) {
        final ModelDirectory directory = new ModelDirectory(consumer, topic, failure);
        directory.thread.start();
        return directory;
    }

    @Override
    public Optional<ModelRoute> find(final String model) {
        return Optional.ofNullable(routes.get(model));
    }

    @Override
    public List<ModelRoute> all() {
        return List.copyOf(routes.values());
    }

    /** Registry records skipped because they could not be used. */
    long unreadable() {
        return unreadable.sum();
    }

    @Override
    public boolean isLoaded() {
        return loaded && thread.isAlive();
    }

    @Override
    public void close() {
        running = false;
        closing.countDown();
        consumer.wakeup();
        try {
            if (!stopped.await(10, TimeUnit.SECONDS)) {
                LOG.warn("model directory did not stop within 10 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            final List<TopicPartition> partitions = awaitPartitions();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            endAtStart = consumer.endOffsets(partitions);
            while (running) {
                pollOnce();
            }
        } catch (final WakeupException | InterruptException e) {
            if (running) {
                failure.report("the model directory (interrupted while running)", e);
            }
        } catch (final RuntimeException | Error e) {
            failure.report("the model directory", e);
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            closeQuietly();
            stopped.countDown();
        }
    }

    private List<TopicPartition> awaitPartitions() {
        while (running) {
            try {
                final List<PartitionInfo> infos = consumer.partitionsFor(topic.name());
                if (infos != null && !infos.isEmpty()) {
                    return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                }
                LOG.warn("model registry topic {} does not exist yet; waiting for it", topic.name());
            } catch (final org.apache.kafka.common.errors.TimeoutException e) {
                LOG.warn("cannot read the partitions of {} yet (is Kafka reachable?): {}", topic.name(), e.getMessage());
            }
            awaitRetry();
        }
        throw new WakeupException();
    }

    private void pollOnce() {
        try {
            for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                try {
                    apply(record);
                } catch (final RuntimeException e) {
                    skip(record, e.toString());
                }
            }
            if (!loaded && caughtUp()) {
                loaded = true;
                LOG.info("model directory loaded from {}: {} model(s) {}", topic.name(), routes.size(), routes.keySet());
            }
        } catch (final WakeupException | InterruptException e) {
            throw e;
        } catch (final RecordDeserializationException e) {
            unreadable.increment();
            LOG.warn("skipping a registry record the consumer cannot read at {}@{}", e.topicPartition(), e.offset());
            consumer.seek(e.topicPartition(), e.offset() + 1);
        } catch (final KafkaException e) {
            LOG.warn("reading the model registry failed, retrying: {}", e.toString());
        }
    }

    private void apply(final ConsumerRecord<String, byte[]> record) {
        final String model = record.key();
        if (model == null) {
            skip(record, "no key");
            return;
        }
        if (record.value() == null) {
            if (routes.remove(model) != null) {
                LOG.info("model {} removed from the registry", model);
            }
            return;
        }
        switch (topic.valueSerde().decode(record.value())) {
            case Decoded.Ok<ModelRoute> ok when model.equals(ok.value().model()) && ok.value().topic() != null -> {
                if (!ok.value().equals(routes.put(model, ok.value())) && loaded) {
                    LOG.info("model {} is served through {}", model, ok.value().topic());
                }
            }
            case Decoded.Ok<ModelRoute> ok -> skip(record, "key " + model + " names model " + ok.value().model()
                    + " (topic " + ok.value().topic() + ")");
            case Decoded.Failed<ModelRoute> failed -> skip(record, failed.reason());
        }
    }

    private void skip(final ConsumerRecord<String, byte[]> record, final String reason) {
        unreadable.increment();
        LOG.warn("skipping unusable model registry record at {}-{}@{} (key {}): {}", record.topic(),
                record.partition(), record.offset(), record.key(), reason);
    }

    private boolean caughtUp() {
        for (final Map.Entry<TopicPartition, Long> end : endAtStart.entrySet()) {
            if (consumer.position(end.getKey()) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void awaitRetry() {
        try {
            // a pause that close() ends at once
            closing.await(RETRY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void closeQuietly() {
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (final RuntimeException e) {
            LOG.debug("closing the model directory consumer failed", e);
        }
    }
}
