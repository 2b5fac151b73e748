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
import org.apache.kafka.clients.producer.ProducerConfig;
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
 * {@link WorkerTopology} in Kafka Streams together with the {@link CancelListener} and the {@link GatewayWatch}.
 *
 * <p>All instances of a model share one consumer group ({@code <prefix>-worker-<model>}), so more instances mean more
 * parallel calls, up to the partitions of the model topic. Each instance runs one {@link CallScheduler}: its
 * {@code concurrency} is the instance's cap, shared by all its tasks and threads. Settings are listed in the module
 * README; the Kafka client settings are those of {@link KafkaClientProps}.
 *
 * <p>Failover: the group session is {@code WORKER_SESSION_TIMEOUT} (6 s, the broker's default minimum), so the
 * partitions of a worker killed without warning move within seconds. With {@code WORKER_INSTANCE_ID} set the instance
 * is a static member ({@code group.instance.id}): a restart under the same id within the session takes its
 * partitions back without a rebalance, and a clean close stays in the group for the same reason.
 */
public final class WorkerService implements AutoCloseable {

    static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(15);
    /** The broker's default {@code group.min.session.timeout.ms}: the shortest session a member may ask for. */
    static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(6);
    /** Requests read ahead per instance beyond its running calls; what priorities and turns can reorder. */
    static final int DEFAULT_MAX_WAITING = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(WorkerService.class);

    private final ModelSpec model;
    private final KafkaStreams streams;
    private final OkHttpUpstreamClient client;
    private final CancelListener cancelListener;
    private final GatewayWatch gatewayWatch;
    private final CallScheduler scheduler;
    private final EventSender sender;
    private final WorkerMetrics metrics;
    private final Path stateDir;
    private final boolean ephemeralState;
    private final boolean staticMember;
    private final StreamsRunState runState;

    private WorkerService(final ModelSpec model, final KafkaStreams streams, final OkHttpUpstreamClient client,
                          final CancelListener cancelListener, final GatewayWatch gatewayWatch,
                          final WorkerOptions options, final EventSender sender, final Path stateDir,
                          final boolean ephemeralState) {
        this.model = model;
        this.streams = streams;
        this.runState = StreamsRunState.watch(streams, "worker " + model.name(), LOG);
        this.client = client;
        this.cancelListener = cancelListener;
        this.gatewayWatch = gatewayWatch;
        this.scheduler = options.scheduler();
        this.sender = sender;
        this.metrics = options.metrics();
        this.stateDir = stateDir;
        this.ephemeralState = ephemeralState;
        this.staticMember = !ephemeralState;
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
        final Duration storeInterval = settings.getSeconds("WORKER_STORE_INTERVAL",
                WorkerOptions.DEFAULT_STORE_INTERVAL);
        final Properties props = streamsProperties(settings, topics, model, stateDir, instanceId);
        final String clientId = props.get(StreamsConfig.APPLICATION_ID_CONFIG) + "-" + instance;

        // Only a safety net against a call that hangs forever: the scheduler enforces the model's timeouts itself.
        final OkHttpUpstreamClient client = OkHttpUpstreamClient.create(model.concurrency(),
                model.totalTimeout().plusSeconds(30));
        final WorkerMetrics metrics = new WorkerMetrics(meters, model.name(), instance);
        final CancelRegistry cancels = new CancelRegistry();
        EventSender sender = null;
        CallScheduler scheduler = null;
        CancelListener listener = null;
        GatewayWatch watch = null;
        try {
            sender = new KafkaEventSender(settings, topics, clientId + "-events");
            scheduler = new CallScheduler(model, client, sender, cancels, metrics,
                    new ThreadLoop("llmgw-calls-" + model.name()), settings.getInt("WORKER_MAX_WAITING",
                    DEFAULT_MAX_WAITING), model.fallback() == null ? null : topics.modelRequestsName(model.fallback()));
            final WorkerOptions options = new WorkerOptions(cancels, scheduler, metrics, storeInterval);
            final Topology topology = WorkerTopology.build(new Topology(), topics, model, options);
            final KafkaStreams streams = new KafkaStreams(topology, props);
            scheduler.backpressure(new CallScheduler.Backpressure() {
                @Override
                public void pause() {
                    LOG.info("worker {}: {} requests wait; reading paused, the rest waits in Kafka", model.name(),
                            metrics.waiting());
                    streams.pause();
                }

                @Override
                public void resume() {
                    streams.resume();
                }
            });
            // before streams.start(): the tasks must know every cancel published before they process anything
            listener = CancelListener.start(settings, topics, cancels, "llmgw-cancels-" + clientId,
                    settings.getSeconds("WORKER_CANCEL_LOOKBACK", CancelListener.DEFAULT_LOOKBACK));
            // a gateway that dies without closing cancels nothing itself: its calls end when it leaves its group
            watch = GatewayWatch.start(settings, topics, cancels, "llmgw-gateway-watch-" + clientId);
            final WorkerService service = new WorkerService(model, streams, client, listener, watch, options, sender,
                    stateDir, ephemeral);
            service.run(props);
            return service;
        } catch (final RuntimeException e) {
            if (watch != null) {
                watch.close();
            }
            if (listener != null) {
                listener.close();
            }
            if (scheduler != null) {
                scheduler.close();
            }
            if (sender != null) {
                sender.close();
            }
            client.close();
            metrics.close();
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

    /** Linger of the stream threads' producer: see {@link #streamsProperties}. */
    static final int CHANGELOG_LINGER_MS = 5;

    /** The consumer group of a model's workers: {@code <prefix>-worker-<model topic suffix>}. */
    public static String applicationId(final Topics topics, final ModelSpec model) {
        return applicationId(topics, model.name());
    }

    /** The consumer group of the workers of the model named {@code model}. */
    public static String applicationId(final Topics topics, final String model) {
        final String suffix = topics.modelRequestsName(model).substring((topics.prefix() + ".requests.").length());
        return topics.prefix() + "-worker-" + suffix;
    }

    /**
     * The Streams configuration {@link #start} uses; visible for tests. Nothing here stretches poll intervals:
     * {@code process()} never waits, so the stream thread keeps Kafka's defaults for polling and rebalancing.
     */
    static Properties streamsProperties(final Settings settings, final Topics topics, final ModelSpec model,
                                        final Path stateDir, final String staticInstanceId) {
        final Duration session = settings.getSeconds("WORKER_SESSION_TIMEOUT", DEFAULT_SESSION_TIMEOUT);
        final StreamsProps props = StreamsProps.forApp(settings, applicationId(topics, model))
                .threads(settings.getInt("WORKER_THREADS", 1))
                .stateDir(stateDir)
                // nothing latency-bound runs on the stream thread any more: a new record ends its poll at once anyway
                .set(StreamsConfig.POLL_MS_CONFIG, 100)
                // This producer writes the in-flight changelog (and the rare refusal): the events of started requests
                // leave through the scheduler's own producer at linger 0. A few milliseconds let the changelog puts of
                // a busy poll share one produce request; the commit still flushes them before the offsets.
                .set(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), CHANGELOG_LINGER_MS)
                .set(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), (int) session.toMillis())
                // a survivor hears of a dead member's rebalance only with its next heartbeat's answer: at a tenth of
                // the session (600 ms) that adds at most 0.6 s to a failover instead of 1.5 s, for heartbeats that
                // cost the coordinator next to nothing
                .set(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
                        (int) Math.max(500, session.toMillis() / 10));
        if (staticInstanceId != null) {
            // Streams appends the thread's index: each stream thread is its own static member
            props.set(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
                    applicationId(topics, model) + "-" + staticInstanceId);
        }
        return props.toProperties();
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

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The Streams instance, for metrics binders; its lifecycle stays with this service. */
    public KafkaStreams kafkaStreams() {
        return streams;
    }

    /**
     * Waits until the worker is RUNNING. Returns false when {@code timeout} passes first or when the worker stops or
     * fails while waiting.
     */
    public boolean awaitRunning(final Duration timeout) throws InterruptedException {
        return runState.awaitRunning(timeout);
    }

    /**
     * Stops the worker. Requests in flight stay in the in-flight store's changelog. An instance with a random id
     * leaves the group at once, so another instance resumes its requests without waiting for the session timeout; a
     * static member ({@code WORKER_INSTANCE_ID}) stays, so that its restart moves nothing, and its partitions move
     * after the session timeout if it does not come back.
     */
    public boolean close(final Duration timeout) {
        gatewayWatch.close();
        cancelListener.close();
        final boolean stopped = streams.close(CloseOptions.timeout(timeout)
                .withGroupMembershipOperation(staticMember ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP
                        : CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        scheduler.close();
        sender.close();
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
