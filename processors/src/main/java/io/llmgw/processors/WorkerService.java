package io.llmgw.processors;

import io.llmgw.schemas.ModelRoute;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.runtime.StreamsRunState;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.settings.StreamsProps;
import io.llmgw.settings.TopicAdmin;
import io.llmgw.settings.TopicAdmin.TopicLayout;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One worker instance for one model: ensures the topics, announces the model in the registry, and runs
 * {@link WorkerTopology} in Kafka Streams together with the {@link CancelListener}.
 *
 * <p>All instances of a model share one consumer group ({@code <prefix>-worker-<model>}), so more instances mean more
 * parallel calls, up to the partitions of the model topic. Settings: {@code TOPIC_PREFIX}, {@code MODEL_PARTITIONS}
 * (6), {@code STATE_DIR} ({@code java.io.tmpdir/llmgw-state}), {@code WORKER_THREADS} (1), {@code WORKER_INSTANCE_ID}
 * (random: state is then deleted on close), {@code WORKER_DRAIN_INTERVAL} (0.005 s), {@code WORKER_CANCEL_LOOKBACK}
 * (600 s: how far back the {@link CancelListener} reads cancels at start), plus the Kafka client settings of
 * {@link KafkaClientProps}.
 */
public final class WorkerService implements AutoCloseable {

    static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(15);
    private static final Logger LOG = LoggerFactory.getLogger(WorkerService.class);

    private final ModelSpec model;
    private final KafkaStreams streams;
    private final OkHttpUpstreamClient client;
    private final CancelListener cancelListener;
    private final CancelRegistry cancels;
    private final WorkerMetrics metrics;
    private final Path stateDir;
    private final boolean ephemeralState;
    private final StreamsRunState runState;

    private WorkerService(final ModelSpec model, final KafkaStreams streams, final OkHttpUpstreamClient client,
                          final CancelListener cancelListener, final WorkerOptions options, final Path stateDir,
                          final boolean ephemeralState) {
        this.model = model;
        this.streams = streams;
        this.runState = StreamsRunState.watch(streams, "worker " + model.name(), LOG);
        this.client = client;
        this.cancelListener = cancelListener;
        this.cancels = options.cancels();
        this.metrics = options.metrics();
        this.stateDir = stateDir;
        this.ephemeralState = ephemeralState;
    }

    /** Starts a worker with its meters in Micrometer's global registry; returns without waiting for RUNNING. */
    public static WorkerService start(final Settings settings, final ModelSpec model) {
        return start(settings, model, Metrics.globalRegistry);
    }

    public static WorkerService start(final Settings settings, final ModelSpec model, final MeterRegistry meters) {
        final Topics topics = new Topics(settings.get("TOPIC_PREFIX", Topics.DEFAULT_PREFIX));
        final TopicLayout layout = TopicLayout.from(settings);
        final List<TopicAdmin.Spec> needed = new ArrayList<>(TopicAdmin.coreTopics(topics, layout));
        needed.add(TopicAdmin.Spec.of(topics.modelRequestsName(model.name()), layout.modelPartitions()));
        if (model.fallback() != null) {
            // handed-over requests wait there for the fallback's workers, like requests the router sends them
            needed.add(TopicAdmin.Spec.of(topics.modelRequestsName(model.fallback()), layout.modelPartitions()));
        }
        TopicAdmin.ensure(KafkaClientProps.common(settings), layout, needed, KAFKA_TIMEOUT);
        announce(settings, topics, model);

        final String instanceId = settings.get("WORKER_INSTANCE_ID").orElse(null);
        final boolean ephemeral = instanceId == null;
        final String instance = ephemeral ? HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()) : instanceId;
        final Path stateDir = StreamsProps.stateRoot(settings).resolve("worker-" + instance);
        final Duration drainInterval = settings.getSeconds("WORKER_DRAIN_INTERVAL", WorkerOptions.DEFAULT_TICK);
        final WorkerOptions options = new WorkerOptions(new CancelRegistry(), new CallBudget(model.concurrency()),
                new WorkerMetrics(meters, model.name(), instance), drainInterval);
        final Properties props = streamsProperties(settings, topics, model, stateDir, drainInterval);

        // Only a safety net against reads that hang forever: the processor enforces the model's timeouts itself.
        final OkHttpUpstreamClient client = OkHttpUpstreamClient.create(model.concurrency(),
                model.totalTimeout().plusSeconds(30));
        CancelListener listener = null;
        try {
            final Topology topology = WorkerTopology.build(new Topology(), topics, model, client, options);
            final KafkaStreams streams = new KafkaStreams(topology, props);
            // before streams.start(): the tasks must know every cancel published before they process anything
            listener = CancelListener.start(settings, topics, options.cancels(),
                    "llmgw-cancels-" + props.get(StreamsConfig.APPLICATION_ID_CONFIG) + "-" + instance,
                    settings.getSeconds("WORKER_CANCEL_LOOKBACK", CancelListener.DEFAULT_LOOKBACK));
            final WorkerService service = new WorkerService(model, streams, client, listener, options, stateDir,
                    ephemeral);
            service.run(props);
            return service;
        } catch (final RuntimeException e) {
            if (listener != null) {
                listener.close();
            }
            client.close();
            options.metrics().close();
            throw e;
        }
    }

    private void run(final Properties props) {
        // A dead stream thread is replaced, within limits (StreamsFailurePolicy, installed by StreamsRunState.watch):
        // the new thread restores the in-flight store from its changelog and resumes what the dead one held.
        LOG.info("starting worker {} for {} -> {} (group {}, state {})", stateDir.getFileName(),
                model.name(), model.baseUrl(), props.get(StreamsConfig.APPLICATION_ID_CONFIG), stateDir);
        streams.start();
    }

    /** The consumer group of a model's workers: {@code <prefix>-worker-<model topic suffix>}. */
    public static String applicationId(final Topics topics, final ModelSpec model) {
        final String suffix = topics.modelRequestsName(model.name()).substring((topics.prefix() + ".requests.").length());
        return topics.prefix() + "-worker-" + suffix;
    }

    /** The Streams configuration {@link #start} uses: the shared defaults and the worker's own; visible for tests. */
    static Properties streamsProperties(final Settings settings, final Topics topics, final ModelSpec model,
                                        final Path stateDir, final Duration drainInterval) {
        // process() may wait for a slot until one of the task's calls ends, at most the total timeout.
        final int maxPollIntervalMs = (int) Math.max(300_000, model.totalTimeout().plusMinutes(1).toMillis());
        return StreamsProps.forApp(settings, applicationId(topics, model))
                .threads(settings.getInt("WORKER_THREADS", 1))
                .stateDir(stateDir)
                // An idle stream thread blocks in poll for poll.ms before it punctuates: keep it at the drain
                // interval, or chunks would wait up to the default 10 ms in the queue.
                .set(StreamsConfig.POLL_MS_CONFIG, Math.max(1, drainInterval.toMillis()))
                .consumer(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, maxPollIntervalMs)
                // an idle connection to the group coordinator must outlive the longest wait inside process()
                .consumer(ConsumerConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG, maxPollIntervalMs + 60_000)
                .toProperties();
    }

    private static void announce(final Settings settings, final Topics topics, final ModelSpec model) {
        final Topic<String, ModelRoute> registry = topics.models();
        final ModelRoute route = new ModelRoute(model.name(), topics.modelRequestsName(model.name()), "llmgw",
                Instant.now().getEpochSecond());
        try (KafkaProducer<String, ModelRoute> producer = new KafkaProducer<>(KafkaClientProps.producer(settings),
                registry.keySerde().serializer(), registry.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(registry.name(), model.name(), route))
                    .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while announcing model " + model.name(), e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot announce model " + model.name() + " on " + registry.name() + ": "
                    + e.getMessage(), e);
        }
    }

    public ModelSpec model() {
        return model;
    }

    /** Cancels requests of this instance directly, as the control topic does. */
    public CancelRegistry cancels() {
        return cancels;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The Streams instance, for metrics binders; its lifecycle stays with this service. */
    public KafkaStreams kafkaStreams() {
        return streams;
    }

    /** True while the worker processes or rebalances; false once it is shutting down, stopped or failed. */
    public boolean isRunning() {
        return streams.state().isRunningOrRebalancing();
    }

    /**
     * Waits until the worker is RUNNING. Returns false when {@code timeout} passes first or when the worker stops or
     * fails while waiting.
     */
    public boolean awaitRunning(final Duration timeout) throws InterruptedException {
        return runState.awaitRunning(timeout);
    }

    /**
     * Stops the worker. Requests in flight stay in the in-flight store's changelog: leaving the group at once lets
     * another instance take the partitions and resume them instead of waiting for the session timeout.
     */
    public boolean close(final Duration timeout) {
        cancelListener.close();
        final boolean stopped = streams.close(CloseOptions.timeout(timeout)
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        client.close();
        metrics.close();
        if (!stopped) {
            LOG.warn("worker {} did not stop within {}", model.name(), timeout);
        } else if (ephemeralState) {
            streams.cleanUp(); // a random instance id is never reused: its local state would only pile up
            try {
                Files.deleteIfExists(stateDir);
            } catch (final IOException e) {
                LOG.debug("cannot delete {}", stateDir, e);
            }
        }
        return stopped;
    }

    @Override
    public void close() {
        close(CLOSE_TIMEOUT);
    }
}
