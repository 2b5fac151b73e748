package io.llmgw.app;

import io.llmgw.app.ops.ProcessMetrics;
import io.llmgw.app.ops.ProcessOps;
import io.llmgw.gateway.GatewayServer;
import io.llmgw.processors.ModelCatalog;
import io.llmgw.processors.ModelSpec;
import io.llmgw.processors.WorkerService;
import io.llmgw.settings.Settings;
import io.llmgw.simulator.LlmSimulator;
import io.llmgw.simulator.SimulatorConfig;
import io.llmgw.topology.RouterService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** The single-role commands of the production image: each starts one part and runs until SIGTERM / Ctrl-C. */
final class Roles {

    private static final Logger LOG = LoggerFactory.getLogger(Roles.class);

    private Roles() {
    }

    /** The gateway; its {@code /metrics} also serves the JVM metrics of the process. */
    static AutoCloseable gateway(final Settings settings) {
        final RunningParts parts = new RunningParts();
        try {
            final ProcessMetrics metrics = parts.add(ProcessMetrics.start());
            parts.add(GatewayServer.start(settings, metrics.registry()));
            return parts;
        } catch (final RuntimeException e) {
            parts.close();
            throw e;
        }
    }

    /** The router, with {@code /metrics}, {@code /health} and {@code /ready} on {@code OPS_PORT}. */
    static AutoCloseable router(final Settings settings) {
        final RunningParts parts = new RunningParts();
        try {
            final ProcessMetrics metrics = parts.add(ProcessMetrics.start());
            final RouterService router = parts.add(RouterService.start(settings));
            final ProcessOps ops = parts.add(ProcessOps.start(settings, metrics));
            ops.watch(router);
            ops.serve();
            return parts;
        } catch (final RuntimeException e) {
            parts.close();
            throw e;
        }
    }

    /** Workers for the configured models (or only {@code onlyModel}), with the ops endpoints on {@code OPS_PORT}. */
    static AutoCloseable workers(final Settings settings, final String onlyModel) {
        final List<ModelSpec> models = new ArrayList<>(ModelCatalog.load(settings));
        if (onlyModel != null) {
            models.removeIf(m -> !m.name().equals(onlyModel));
        }
        if (models.isEmpty()) {
            throw new IllegalArgumentException(onlyModel != null
                    ? "model " + onlyModel + " is not configured (MODELS_FILE or OPENAI_MODEL_NAME)"
                    : "no model configured: set OPENAI_HOST, OPENAI_MODEL_NAME (and OPENAI_TOKEN), or MODELS_FILE");
        }
        final RunningParts parts = new RunningParts();
        try {
            final ProcessMetrics metrics = parts.add(ProcessMetrics.start());
            final List<WorkerService> workers = new ArrayList<>();
            for (final ModelSpec model : models) {
                workers.add(parts.add(WorkerService.start(settings, model, metrics.registry())));
                LOG.info("worker for {} -> {}", model.name(), model.baseUrl());
            }
            final ProcessOps ops = parts.add(ProcessOps.start(settings, metrics));
            workers.forEach(ops::watch);
            ops.serve();
            return parts;
        } catch (final RuntimeException e) {
            parts.close();
            throw e;
        }
    }

    static AutoCloseable simulator(final Settings settings) {
        final LlmSimulator simulator = LlmSimulator.start(
                SimulatorConfig.from(settings.with(Map.of("SIM_PORT", settings.get("SIM_PORT", "8100")))));
        LOG.info("LLM simulator at {}", simulator.baseUrl());
        return simulator;
    }

    /** Blocks the main thread until the JVM is asked to stop, then closes {@code running} once. */
    static void runUntilStopped(final AutoCloseable running) throws InterruptedException {
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (final Exception e) {
                LOG.warn("shutdown: {}", e.toString());
            } finally {
                stopped.countDown();
            }
        }, "llmgw-shutdown"));
        stopped.await();
    }
}
