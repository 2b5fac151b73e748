package io.llmgw.app.ops;

import io.llmgw.runtime.ClusterProbe;
import io.llmgw.processors.WorkerService;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.topology.RouterService;
import io.micrometer.core.instrument.Tags;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What operators see of a router or worker process beyond its logs: the process's {@link ProcessMetrics} with the
 * Streams metrics of every watched service, queue depth of the topics those services consume, readiness (Kafka
 * answers, every watched service RUNNING) and, once {@link #serve()} is called, the {@link OpsServer} on
 * {@code OPS_PORT}. {@code llmgw dev} uses the same parts without the server: its gateway serves the registry.
 */
public final class ProcessOps implements AutoCloseable {

    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final OpsConfig config;
    private final Settings settings;
    private final Topics topics;
    private final ProcessMetrics metrics;
    private final ClusterProbe probe;
    private final ProcessReadiness readiness;
    private final QueueDepth queueDepth;
    private OpsServer server;

    private ProcessOps(final Settings settings, final ProcessMetrics metrics, final Admin admin) {
        this.config = OpsConfig.from(settings);
        this.settings = settings;
        this.topics = new Topics(settings.get("TOPIC_PREFIX", Topics.DEFAULT_PREFIX));
        this.metrics = metrics;
        this.probe = new ClusterProbe(admin);
        this.readiness = new ProcessReadiness(probe);
        this.queueDepth = QueueDepth.start(admin, metrics.registry(), config.queueDepthInterval());
    }

    /** Starts the Kafka probe and the queue-depth measurements (one admin client for both); serves nothing yet. */
    public static ProcessOps start(final Settings settings, final ProcessMetrics metrics) {
        final Map<String, Object> props = KafkaClientProps.common(settings);
        // unique per instance: Kafka registers client ids as JMX names and warns about duplicates
        props.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "llmgw-ops-" + INSTANCES.incrementAndGet() + "-"
                + ProcessHandle.current().pid());
        final Admin admin = Admin.create(props);
        try {
            return new ProcessOps(settings, metrics, admin);
        } catch (final RuntimeException e) {
            admin.close();
            throw e;
        }
    }

    /** The router's Streams metrics, a readiness check {@code router}, and {@code llmgw_router_queue_depth}. */
    public void watch(final RouterService router) {
        metrics.bind(router.kafkaStreams());
        readiness.watch("router", router::state);
        queueDepth.add(new QueueDepth.Queue("llmgw.router.queue.depth", Tags.of("topic", topics.requests().name()),
                topics.requests().name(), RouterService.applicationId(settings)));
    }

    /**
     * A worker's Streams metrics, a readiness check {@code worker:<model>}, and {@code llmgw_queue_depth{model}}
     * (added once per model, however many instances of it the process runs).
     */
    public void watch(final WorkerService worker) {
        final String model = worker.model().name();
        metrics.bind(worker.kafkaStreams());
        final String check = "worker:" + model;
        readiness.watch(check, worker::state);
        final String topic = topics.modelRequestsName(model);
        queueDepth.add(new QueueDepth.Queue("llmgw.queue.depth", Tags.of("model", model, "topic", topic), topic,
                WorkerService.applicationId(topics, worker.model())));
    }

    public ProcessReadiness readiness() {
        return readiness;
    }

    /** Starts {@code /metrics}, {@code /health} and {@code /ready} on {@code OPS_HOST:OPS_PORT}. */
    public OpsServer serve() {
        server = OpsServer.start(config.host(), config.port(), metrics::scrape, readiness);
        return server;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        queueDepth.close();
        probe.close();
    }
}
