package io.llmgw.processors;

import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static io.llmgw.processors.TestRequests.NOW_MS;

/**
 * One worker instance under test: a scheduler on a {@link ManualLoop} with a {@link RecordingSender}, and one
 * {@link TopologyTestDriver} per task ({@link #task}) sharing it, all on the test's thread. {@link #advance} moves the
 * scheduler's clock and every driver's wall clock together.
 */
final class WorkerHarness implements AutoCloseable {

    static final Topics TOPICS = new Topics("llm");
    /** The tasks' store interval: how often a driver's punctuator applies the scheduler's store changes. */
    static final Duration STORE_INTERVAL = Duration.ofMillis(5);

    final ModelSpec model;
    final FakeUpstream upstream = new FakeUpstream();
    final UpstreamClient client;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final ManualLoop loop = new ManualLoop(NOW_MS);
    final RecordingSender sender = new RecordingSender();
    final CancelRegistry cancels = new CancelRegistry();
    final CallScheduler scheduler;
    final WorkerOptions options;
    final List<String> backpressure = new ArrayList<>();
    private final Path stateDir;
    private final List<Task> tasks = new ArrayList<>();

    /** One stream task: its driver, its input topic and the events its own sink forwarded. */
    final class Task {
        final TopologyTestDriver driver;
        final TestInputTopic<String, byte[]> requests;
        final TestOutputTopic<String, ResponseEvent> sinkEvents;

        private Task(final TopologyTestDriver driver) {
            this.driver = driver;
            this.requests = driver.createInputTopic(TOPICS.modelRequestsName(model.name()), new StringSerializer(),
                    new ByteArraySerializer());
            this.sinkEvents = driver.createOutputTopic(TOPICS.events().name(), new StringDeserializer(),
                    TOPICS.events().valueSerde().deserializer());
        }

        void send(final RequestEnvelope request) {
            requests.pipeInput(request.id(), TOPICS.requests().valueSerde().encode(request));
        }

        KeyValueStore<String, byte[]> store() {
            return driver.getKeyValueStore(WorkerTopology.STORE);
        }
    }

    WorkerHarness(final ModelSpec model, final Path stateDir, final int maxWaiting) {
        this(model, null, stateDir, maxWaiting);
    }

    /** The same with a real upstream client instead of {@link #upstream}. */
    WorkerHarness(final ModelSpec model, final UpstreamClient client, final Path stateDir, final int maxWaiting) {
        this.model = model;
        this.client = client == null ? upstream : client;
        this.stateDir = stateDir;
        this.scheduler = new CallScheduler(model, this.client, sender, cancels,
                new WorkerMetrics(meters, model.name(), "test"), loop, maxWaiting,
                model.fallback() == null ? null : TOPICS.modelRequestsName(model.fallback()));
        scheduler.backpressure(new CallScheduler.Backpressure() {
            @Override
            public void pause() {
                backpressure.add("pause");
            }

            @Override
            public void resume() {
                backpressure.add("resume");
            }
        });
        this.options = new WorkerOptions(cancels, scheduler, scheduler.metrics(), STORE_INTERVAL);
    }

    /** A new task of this instance (a driver of its own, as a partition's task would be). */
    Task task() {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "worker-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("task-" + tasks.size()).toString());
        final Task task = new Task(new TopologyTestDriver(WorkerTopology.build(new Topology(), TOPICS, model, options),
                props, Instant.ofEpochMilli(loop.nowMs())));
        tasks.add(task);
        return task;
    }

    /** Moves every clock; the drivers' punctuators then apply the store changes the scheduler queued. */
    void advance(final Duration duration) {
        loop.advance(duration.toMillis());
        for (final Task task : tasks) {
            task.driver.advanceWallClockTime(duration);
        }
    }

    /** Lets the tasks apply what the scheduler reported, without moving time noticeably. */
    void tick() {
        advance(STORE_INTERVAL);
    }

    /** The replies of every request of these tasks, whichever way they left; make one per test and keep it. */
    ReplyEvents events(final Task... of) {
        final List<java.util.function.Supplier<List<ResponseEvent>>> sources = new ArrayList<>();
        for (final Task task : of) {
            sources.add(task.sinkEvents::readValuesToList);
        }
        sources.add(sender::drain);
        return new ReplyEvents(sources);
    }

    @Override
    public void close() {
        for (final Task task : tasks) {
            task.driver.close();
        }
        scheduler.close();
    }
}
