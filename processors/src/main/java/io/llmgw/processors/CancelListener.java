package io.llmgw.processors;

import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Reads the control topic and hands every cancel to a {@link CancelRegistry}. A plain consumer without a group: every
 * worker instance must see every cancel, since any of them may hold the request. It starts at the end of the topic
 * (older cancels concern requests that are over by now) and never commits.
 */
public final class CancelListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CancelListener.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Topic<String, CancelCommand> control;
    private final CancelRegistry registry;
    private final Thread thread;
    private volatile boolean running = true;

    private CancelListener(final KafkaConsumer<String, byte[]> consumer, final Topic<String, CancelCommand> control,
                           final CancelRegistry registry, final String name) {
        this.consumer = consumer;
        this.control = control;
        this.registry = registry;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    }

    /**
     * Assigns every partition of the control topic, positions at its end (so that cancels sent after this returns are
     * seen), and starts reading on its own thread.
     */
    public static CancelListener start(final Settings settings, final Topics topics, final CancelRegistry registry,
                                       final String name) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
        final KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer());
        try {
            final List<TopicPartition> partitions = consumer.partitionsFor(topics.control().name(), Duration.ofSeconds(30))
                    .stream().map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("control topic " + topics.control().name() + " has no partitions");
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // seekToEnd is lazy: resolve the end now, not at the first poll
        } catch (final RuntimeException e) {
            consumer.close();
            throw e;
        }
        final CancelListener listener = new CancelListener(consumer, topics.control(), registry, name);
        listener.thread.start();
        return listener;
    }

    private void run() {
        try {
            while (running) {
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    accept(record);
                }
            }
        } catch (final WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (final RuntimeException e) {
            LOG.error("cancel listener stopped: cancels are no longer applied (deadlines still are)", e);
        } finally {
            consumer.close();
        }
    }

    private void accept(final ConsumerRecord<String, byte[]> record) {
        switch (control.valueSerde().decode(record.value())) {
            case Decoded.Ok<CancelCommand> ok -> registry.cancel(ok.value().id() != null ? ok.value()
                    : new CancelCommand(record.key(), ok.value().reason(), ok.value().atMs()));
            case Decoded.Failed<CancelCommand> failed ->
                    LOG.warn("ignoring unreadable control record at offset {}: {}", record.offset(), failed.reason());
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
