package io.llmgw.app;

import io.llmgw.app.broker.BrokerLib;
import io.llmgw.app.ops.ProcessMetrics;
import io.llmgw.app.ops.ProcessOps;
import io.llmgw.app.broker.EmbeddedKafka;
import io.llmgw.app.broker.EmbeddedKafkaCluster;
import io.llmgw.gateway.GatewayServer;
import io.llmgw.processors.ModelCatalog;
import io.llmgw.processors.ModelSpec;
import io.llmgw.processors.WorkerService;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.settings.StreamsProps;
import io.llmgw.simulator.LlmSimulator;
import io.llmgw.simulator.SimulatorConfig;
import io.llmgw.topology.RouterService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything in one process tree: an embedded KRaft broker in a child JVM (unless {@code BOOTSTRAP_SERVERS} is set),
 * the simulator (unless a host is configured), one worker per model, the router and the gateway. Parts start in
 * dependency order (workers announce their models before the gateway reads the registry) and stop in reverse.
 */
public final class DevStack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DevStack.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    /**
     * Command-line options of {@code llmgw dev}.
     *
     * @param dataDir where the embedded Kafka and the Streams state live; a temporary directory when null
     * @param brokers broker JVMs of the embedded Kafka: 1 is the single broker, more a local cluster (RF = brokers,
     *                {@code min.insync.replicas} brokers - 1 from 3 on) in {@code <dataDir>/kafka-cluster}
     */
    public record Options(Path dataDir, int brokers) {

        public Options {
            if (brokers < 1) {
                throw new IllegalArgumentException("--brokers must be at least 1, got " + brokers);
            }
        }

        public Options(final Path dataDir) {
            this(dataDir, 1);
        }

        static Options fromArgs(final List<String> args) {
            Llmgw.requireKnown(args, List.of("--data-dir", "--brokers"));
            final String dir = Llmgw.option(args, "--data-dir");
            return new Options(dir == null ? null : Path.of(dir), Llmgw.number(args, "--brokers", 1, 1));
        }

        public static Options defaults() {
            return new Options(null, 1);
        }
    }

    private final Deque<AutoCloseable> parts = new ArrayDeque<>();
    private Settings settings;
    private EmbeddedKafka broker;
    private EmbeddedKafkaCluster cluster;
    private LlmSimulator simulator;
    private final List<ModelSpec> models = new ArrayList<>();
    private final List<WorkerService> workers = new ArrayList<>();
    private RouterService router;
    private GatewayServer gateway;
    private ProcessMetrics metrics;

    private DevStack() {
    }

    public static DevStack start(final Settings base, final Options options) throws Exception {
        final DevStack stack = new DevStack();
        try {
            stack.startParts(base, options);
            return stack;
        } catch (final Exception | Error e) {
            stack.close();
            throw e;
        }
    }

    private void startParts(final Settings base, final Options options) throws Exception {
        final long startedNanos = System.nanoTime();
        settings = base;
        final Map<String, String> overrides = new HashMap<>();
        if (base.get(KafkaClientProps.BOOTSTRAP_SERVERS).isEmpty()) {
            final Path dataDir;
            if (options.dataDir() != null) {
                dataDir = options.dataDir();
            } else {
                // a fresh cluster per run unless --data-dir asks to keep one; removed again on stop
                dataDir = Files.createTempDirectory("llmgw-dev-");
                remember(() -> deleteRecursively(dataDir));
            }
            final String bootstrap;
            if (options.brokers() == 1) {
                broker = remember(EmbeddedKafka.start(dataDir.resolve("kafka"), BrokerLib.locate(),
                        EmbeddedKafka.Options.from(base)));
                bootstrap = broker.bootstrapServers();
            } else {
                cluster = remember(EmbeddedKafkaCluster.start(dataDir.resolve("kafka-cluster"), BrokerLib.locate(),
                        EmbeddedKafkaCluster.Options.from(base, options.brokers(),
                                base.getInt("LLMGW_BROKER_PORT", 0))));
                bootstrap = cluster.bootstrapServers();
            }
            overrides.put(KafkaClientProps.BOOTSTRAP_SERVERS, bootstrap);
            overrides.putIfAbsent(StreamsProps.STATE_DIR, dataDir.resolve("state").toString());
        }
        settings = settings.with(overrides);
        // one registry for the whole process tree, served by the gateway's /metrics
        metrics = remember(ProcessMetrics.start());

        models.addAll(ModelCatalog.load(settings));
        if (models.isEmpty()) {
            simulator = remember(LlmSimulator.start(SimulatorConfig.from(settings)));
            models.addAll(ModelCatalog.forHost(settings, simulator.configuredModels(), simulator.baseUrl(),
                    settings.get("OPENAI_TOKEN").orElse(null)));
        }
        for (final ModelSpec model : models) {
            workers.add(remember(WorkerService.start(settings, model, metrics.registry())));
        }
        router = remember(RouterService.start(settings));
        gateway = remember(GatewayServer.start(settings, metrics.registry()));
        final ProcessOps ops = remember(ProcessOps.start(settings, metrics));
        ops.watch(router);
        workers.forEach(ops::watch);

        router.awaitRunning(START_TIMEOUT);
        for (final WorkerService worker : workers) {
            worker.awaitRunning(START_TIMEOUT);
        }
        gateway.awaitReady(START_TIMEOUT);
        printSummary(Duration.ofNanos(System.nanoTime() - startedNanos));
    }

    private <T extends AutoCloseable> T remember(final T part) {
        parts.push(part);
        return part;
    }

    private void printSummary(final Duration took) {
        final StringBuilder text = new StringBuilder("\n");
        text.append("llmgw dev is up in ").append(took.toMillis()).append(" ms\n");
        text.append("  gateway    http://localhost:").append(gateway.port()).append("/v1   (OpenAI base URL)\n");
        text.append("  kafka      ").append(settings.get(KafkaClientProps.BOOTSTRAP_SERVERS).orElse("?"))
                .append(broker != null ? "   (embedded KRaft broker, child JVM)"
                        : cluster != null ? "   (embedded KRaft cluster, " + cluster.members().size() + " broker JVMs)"
                        : "   (external)").append('\n');
        if (simulator != null) {
            text.append("  simulator  ").append(simulator.baseUrl()).append("   (no OPENAI_HOST or MODELS_FILE set)\n");
        }
        for (final ModelSpec model : models) {
            text.append("  model      ").append(model.name()).append("  ->  ").append(model.baseUrl()).append('\n');
        }
        text.append("Ctrl-C stops everything.\n");
        LOG.info(text.toString());
    }

    private static void deleteRecursively(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (final Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    public Settings settings() {
        return settings;
    }

    public GatewayServer gateway() {
        return gateway;
    }

    /** The registry of the whole stack (the gateway's {@code /metrics} serves it). */
    public ProcessMetrics metrics() {
        return metrics;
    }

    /** The embedded cluster of {@code --brokers N} (N > 1), or null. */
    public EmbeddedKafkaCluster cluster() {
        return cluster;
    }

    public LlmSimulator simulator() {
        return simulator;
    }

    public List<ModelSpec> models() {
        return List.copyOf(models);
    }

    @Override
    public void close() {
        while (!parts.isEmpty()) {
            final AutoCloseable part = parts.pop();
            try {
                part.close();
            } catch (final Exception e) {
                LOG.warn("stopping {} failed: {}", part.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
