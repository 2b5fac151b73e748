package io.llmgw.app.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How many records wait in a topic for a consumer group: the sum over partitions of the end offset minus the group's
 * committed offset (or the log start, for a partition the group never committed). For {@code llm.requests.<model>}
 * and the model's worker group that is the model's queue: accepted requests no worker has finished taking.
 *
 * <p>Measured with the admin client every interval on its own thread and exported as gauges that read the last
 * answer, so a scrape never waits for Kafka; a gauge reads NaN while Kafka does not answer, rather than a stale number.
 */
public final class QueueDepth implements AutoCloseable {

    /**
     * One measured queue.
     *
     * @param meter the gauge's name, such as {@code llmgw.queue.depth}
     * @param tags  the gauge's tags
     * @param topic the topic whose records wait
     * @param group the consumer group that takes them
     */
    public record Queue(String meter, Tags tags, String topic, String group) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(QueueDepth.class);

    private final Admin admin;
    private final MeterRegistry registry;
    private final Duration timeout;
    private final List<Measured> queues = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;

    private static final class Measured {
        private final Queue queue;
        private volatile double depth = Double.NaN;
        private Gauge gauge;

        private Measured(final Queue queue) {
            this.queue = queue;
        }
    }

    private QueueDepth(final Admin admin, final MeterRegistry registry, final Duration interval) {
        this.admin = admin;
        this.registry = registry;
        this.timeout = interval;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable ->
                Thread.ofPlatform().name("llmgw-queue-depth").daemon().unstarted(runnable));
    }

    /** Starts measuring every {@code interval}; add queues with {@link #add(Queue)}. */
    public static QueueDepth start(final Admin admin, final MeterRegistry registry, final Duration interval) {
        final QueueDepth depth = new QueueDepth(admin, registry, interval);
        depth.timer.scheduleWithFixedDelay(depth::measureAll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return depth;
    }

    /** Exports the depth of {@code queue} from the next measurement on (NaN until then); a known queue is ignored. */
    public synchronized void add(final Queue queue) {
        if (queues.stream().anyMatch(known -> known.queue.equals(queue))) {
            return;
        }
        final Measured measured = new Measured(queue);
        measured.gauge = Gauge.builder(queue.meter(), () -> measured.depth)
                .description("records in " + queue.topic() + " not yet taken by consumer group " + queue.group())
                .tags(queue.tags())
                .register(registry);
        queues.add(measured);
    }

    /**
     * Records waiting: per partition, the end offset minus the committed offset, or minus the log start offset where
     * the group has committed nothing. Never negative (a commit can race ahead of a listed end).
     */
    static long depth(final Map<TopicPartition, Long> endOffsets, final Map<TopicPartition, Long> startOffsets,
                      final Map<TopicPartition, Long> committed) {
        long total = 0;
        for (final Map.Entry<TopicPartition, Long> end : endOffsets.entrySet()) {
            final long position = committed.getOrDefault(end.getKey(), startOffsets.getOrDefault(end.getKey(), 0L));
            total += Math.max(0, end.getValue() - position);
        }
        return total;
    }

    private void measureAll() {
        for (final Measured measured : queues) {
            try {
                measured.depth = measure(measured.queue);
            } catch (final ExecutionException | TimeoutException | RuntimeException e) {
                measured.depth = Double.NaN;
                LOG.debug("cannot measure the depth of {} for {}: {}", measured.queue.topic(), measured.queue.group(),
                        e.toString());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private long measure(final Queue queue) throws ExecutionException, TimeoutException, InterruptedException {
        final TopicDescription topic = admin.describeTopics(List.of(queue.topic())).allTopicNames()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(queue.topic());
        final List<TopicPartition> partitions = topic.partitions().stream()
                .map(p -> new TopicPartition(queue.topic(), p.partition())).toList();
        final Map<TopicPartition, Long> ends = offsets(partitions, OffsetSpec.latest());
        final Map<TopicPartition, Long> starts = offsets(partitions, OffsetSpec.earliest());
        final Map<TopicPartition, OffsetAndMetadata> commits = admin.listConsumerGroupOffsets(queue.group())
                .partitionsToOffsetAndMetadata().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        final Map<TopicPartition, Long> committed = new HashMap<>();
        commits.forEach((partition, offset) -> {
            if (offset != null && partition.topic().equals(queue.topic())) {
                committed.put(partition, offset.offset());
            }
        });
        return depth(ends, starts, committed);
    }

    private Map<TopicPartition, Long> offsets(final List<TopicPartition> partitions, final OffsetSpec spec)
            throws ExecutionException, TimeoutException, InterruptedException {
        final Map<TopicPartition, OffsetSpec> request = partitions.stream()
                .collect(Collectors.toMap(Function.identity(), p -> spec));
        final Map<TopicPartition, ListOffsetsResultInfo> answer = admin.listOffsets(request).all()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        final Map<TopicPartition, Long> offsets = new HashMap<>();
        answer.forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }

    /** Stops measuring and removes the gauges. The admin client belongs to the caller. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (final Measured measured : queues) {
            registry.remove(measured.gauge);
        }
        queues.clear();
    }
}
