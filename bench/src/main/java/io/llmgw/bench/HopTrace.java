package io.llmgw.bench;

import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Where a gateway request's time goes, hop by hop, measured from outside: plain consumers (the project's consumer
 * settings) watch the requests topic, the model topic and the events topic, and note when each request id shows up
 * on each; the client notes when it sent the request and when the answer came. Every hop therefore includes one
 * Kafka fetch, as the real consumer's does:
 * <ol>
 *   <li>{@code gateway in}: HTTP, validation, the acknowledged produce, visible on the requests topic;</li>
 *   <li>{@code router}: the router's poll, routing and produce, visible on the model topic;</li>
 *   <li>{@code worker}: the worker's poll, the simulator call (about the direct path's latency), the drain and the
 *       produce, visible on the events topic;</li>
 *   <li>{@code gateway out}: the reply consumer, the hand-over to the waiting handler, the HTTP answer.</li>
 * </ol>
 */
final class HopTrace implements AutoCloseable {

    static final List<String> HOPS = List.of("gateway in", "router", "worker", "gateway out");

    private static final Logger LOG = LoggerFactory.getLogger(HopTrace.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);
    private static final int SENT = 0;
    private static final int EVENTS = 3;
    private static final int ANSWERED = 4;
    private static final JsonSerde<ResponseEvent> EVENT_SERDE = new JsonSerde<>(ResponseEvent.class);

    /** Nanos per request id: sent, on requests, on model topic, first event, answered. */
    private final Map<String, long[]> times = new ConcurrentHashMap<>();
    private final List<Watcher> watchers = new ArrayList<>();

    private HopTrace() {
    }

    private static boolean isMarker(final byte[] value) {
        return EVENT_SERDE.decode(value) instanceof Decoded.Ok<ResponseEvent> ok && ok.value().type() != null
                && ok.value().type().isMarker();
    }

    /** Starts watching the three topics of {@code model} from their ends. */
    static HopTrace start(final Settings settings, final String model) throws InterruptedException {
        final Topics topics = new Topics(settings.get("TOPIC_PREFIX", Topics.DEFAULT_PREFIX));
        final HopTrace trace = new HopTrace();
        try {
            trace.watch(settings, topics.requests().name(), 1);
            trace.watch(settings, topics.modelRequestsName(model), 2);
            trace.watch(settings, topics.events().name(), EVENTS);
            for (final Watcher watcher : trace.watchers) {
                watcher.awaitPositioned();
            }
        } catch (final InterruptedException | RuntimeException e) {
            trace.close();
            throw e;
        }
        return trace;
    }

    /** Sends a request and notes, by the {@code X-Request-Id} of the answer, when it left and when it came back. */
    CompletableFuture<Outcome> send(final ChatTarget gateway, final HttpRequest request) {
        final long sent = System.nanoTime();
        return gateway.client().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(response -> {
                    final long answered = System.nanoTime();
                    if (response.statusCode() != 200) {
                        return Outcome.failed("http " + response.statusCode());
                    }
                    response.headers().firstValue("X-Request-Id").ifPresent(id -> {
                        final long[] at = times.computeIfAbsent(id, key -> new long[ANSWERED + 1]);
                        at[SENT] = sent;
                        at[ANSWERED] = answered;
                    });
                    return Outcome.OK;
                })
                .exceptionally(Outcome::failed);
    }

    /** Each hop's latency over the requests seen at every point, in order of {@link #HOPS}. */
    Map<String, LatencyStats> hops() {
        final List<Histogram> histograms = new ArrayList<>();
        HOPS.forEach(hop -> histograms.add(LatencyStats.newMicrosHistogram()));
        for (final long[] at : times.values()) {
            final long[] copy = at.clone();
            boolean complete = true;
            for (final long time : copy) {
                complete &= time != 0;
            }
            if (!complete) {
                continue;
            }
            for (int hop = 0; hop < HOPS.size(); hop++) {
                histograms.get(hop).recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(copy[hop + 1] - copy[hop])));
            }
        }
        final Map<String, LatencyStats> hops = new LinkedHashMap<>();
        for (int hop = 0; hop < HOPS.size(); hop++) {
            hops.put(HOPS.get(hop), LatencyStats.ofMicros(histograms.get(hop)));
        }
        return hops;
    }

    @Override
    public void close() {
        watchers.forEach(Watcher::close);
    }

    private void watch(final Settings settings, final String topic, final int point) {
        final Watcher watcher = new Watcher(settings, topic, point);
        watchers.add(watcher);
        watcher.thread.start();
    }

    /** One topic's consumer, on its own platform thread, noting the first sighting of each key. */
    private final class Watcher implements AutoCloseable {

        private final KafkaConsumer<String, byte[]> consumer;
        private final String topic;
        private final int point;
        private final Thread thread;
        private final CountDownLatch positioned = new CountDownLatch(1);
        private volatile boolean running = true;

        Watcher(final Settings settings, final String topic, final int point) {
            final Map<String, Object> props = KafkaClientProps.consumer(settings);
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-bench-trace-" + point);
            this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
            this.topic = topic;
            this.point = point;
            this.thread = Thread.ofPlatform().name("bench-trace-" + point).daemon().unstarted(this::run);
        }

        void awaitPositioned() throws InterruptedException {
            if (!positioned.await(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the trace's consumer of " + topic + " did not start");
            }
        }

        private void run() {
            try {
                final List<TopicPartition> partitions = consumer.partitionsFor(topic, KAFKA_TIMEOUT).stream()
                        .map(info -> new TopicPartition(topic, info.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToEnd(partitions);
                partitions.forEach(consumer::position);
                positioned.countDown();
                while (running) {
                    for (final ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                        if (point == EVENTS && isMarker(record.value())) {
                            continue; // a queued or started marker is not the worker's answer
                        }
                        final long now = System.nanoTime();
                        final long[] at = times.computeIfAbsent(record.key(), key -> new long[ANSWERED + 1]);
                        if (at[point] == 0) {
                            at[point] = now;
                        }
                    }
                }
            } catch (final WakeupException e) {
                // close() asked us to stop
            } catch (final KafkaException e) {
                LOG.error("the trace's consumer of {} failed", topic, e);
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
        }
    }
}
