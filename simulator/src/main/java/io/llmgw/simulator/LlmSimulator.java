package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.settings.Settings;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A built-in OpenAI-compatible LLM host: what {@code ./llmgw dev} answers with when no real host is configured, the
 * upstream of end-to-end tests, and the "direct" baseline of the benchmark.
 * <p>
 * Endpoints: {@code POST /v1/chat/completions}, {@code POST /v1/completions} (streaming or not, see
 * {@link SimulatedReply} for what they answer and {@link InjectedFaults} for the per-request {@code x_sim} knobs),
 * {@code POST /v1/embeddings} ({@link EmbeddingsEndpoint}),
 * {@code GET /v1/models}, {@code GET /health} and {@code GET /sim/stats}. Any bearer token is accepted and recorded.
 * <p>
 * Javalin on virtual threads rather than the JDK's HttpServer: Jetty gives access to the connection, which a fault needs
 * to close the socket abruptly and the simulator needs to notice a client that went away while it waits; the JDK
 * server hides both. Streams cost a parked virtual thread each, so thousands of them are cheap.
 */
public final class LlmSimulator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LlmSimulator.class);
    /** Payload benchmarks send large prompts; Javalin's default limit is 1 MB. */
    private static final long MAX_REQUEST_BYTES = 64L * 1024 * 1024;

    /** Linux caps it at net.core.somaxconn (4096 on current kernels). */
    private static final int ACCEPT_QUEUE = 4096;

    private final SimulatorConfig config;
    private final SimulatorStats stats;
    private final Javalin app;

    private LlmSimulator(final SimulatorConfig config, final SimulatorStats stats, final Javalin app) {
        this.config = config;
        this.stats = stats;
        this.app = app;
    }

    /** Starts listening; returns once the port is bound. */
    public static LlmSimulator start(final SimulatorConfig config) {
        final SimulatorStats stats = new SimulatorStats(config.recentRequests());
        final Javalin app = Javalin.create(javalin -> configure(javalin, config, stats)).start();
        final LlmSimulator simulator = new LlmSimulator(config, stats, app);
        LOG.info("LLM simulator listening on {} (models {})", simulator.baseUrl(), config.models());
        return simulator;
    }

    /** Runs the simulator alone, configured from the environment and {@code .env}, until the process is stopped. */
    public static void main(final String[] args) throws InterruptedException {
        final CountDownLatch stopped = new CountDownLatch(1);
        final LlmSimulator simulator = start(SimulatorConfig.from(Settings.load()));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            stopped.countDown();
        }, "llm-simulator-shutdown"));
        stopped.await();
    }

    private static void configure(final JavalinConfig javalin, final SimulatorConfig config,
                                  final SimulatorStats stats) {
        javalin.concurrency.useVirtualThreads = true;
        // compression would buffer server-sent events; clients such as OkHttp ask for gzip by default
        javalin.http.compressionStrategy = CompressionStrategy.NONE;
        javalin.http.maxRequestSize = MAX_REQUEST_BYTES;
        javalin.startup.showJavalinBanner = false;
        javalin.jetty.addConnector((server, httpConfig) -> {
            final ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(httpConfig));
            connector.setHost(config.host());
            connector.setPort(config.port());
            // a benchmark opens thousands of connections at once; the JVM's default backlog of 50 resets them
            connector.setAcceptQueueSize(ACCEPT_QUEUE);
            return connector;
        });
        javalin.routes.post("/v1/chat/completions", new CompletionEndpoint(Endpoint.CHAT_COMPLETIONS, config, stats));
        javalin.routes.post("/v1/completions", new CompletionEndpoint(Endpoint.COMPLETIONS, config, stats));
        javalin.routes.post("/v1/embeddings", new EmbeddingsEndpoint(stats));
        javalin.routes.post("/v1/responses", new ResponsesEndpoint(config, stats));
        javalin.routes.get("/v1/models", ctx -> json(ctx, 200, ReplyShapes.modelList(config.models())));
        javalin.routes.get("/health", ctx -> json(ctx, 200, Json.object().put("status", "ok")));
        javalin.routes.get("/sim/stats", ctx -> json(ctx, 200, stats.toJson()));
        javalin.routes.error(404, ctx -> {
            // an injected 404 (x_sim.fail_status) has already been answered
            if (!ctx.res().isCommitted()) {
                error(ctx, ApiError.notFound(
                        "No route for " + ctx.method().name() + " " + ctx.path() + " on the LLM simulator."));
            }
        });
        javalin.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, new ApiError(e.getStatus(),
                e.getMessage(), e.getStatus() >= 500 ? "server_error" : "invalid_request_error", null, null)));
        javalin.routes.exception(Exception.class, (e, ctx) -> {
            LOG.warn("LLM simulator failed on {} {}", ctx.method().name(), ctx.path(), e);
            error(ctx, new ApiError(500, "The LLM simulator failed: " + e, "server_error", null, null));
        });
    }

    public int port() {
        return app.port();
    }

    /** The OpenAI base URL, e.g. {@code http://127.0.0.1:41234/v1}; loopback when bound to all interfaces. */
    public String baseUrl() {
        final String host = "0.0.0.0".equals(config.host()) || "::".equals(config.host()) ? "127.0.0.1" : config.host();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port() + "/v1";
    }

    public SimulatorConfig config() {
        return config;
    }

    /** The model names {@code GET /v1/models} lists. */
    public List<String> configuredModels() {
        return config.models();
    }

    /** Completion requests received, well formed or not, failed by injection or not. */
    public long totalRequests() {
        return stats.totalRequests();
    }

    /** Completion requests received with this {@code x_sim.key}. */
    public long requestsForKey(final String key) {
        return stats.requestsForKey(key);
    }

    /** Completion requests received naming this model. */
    public long requestsForModel(final String model) {
        return stats.requestsForModel(model);
    }

    /** Streaming replies in progress right now. */
    public int openStreams() {
        return stats.openStreams();
    }

    /** Connections clients closed before their response was finished, oldest first (the last 10,000). */
    public List<ClientCancel> clientCancels() {
        return stats.clientCancels();
    }

    public long clientCancelCount() {
        return stats.clientCancelCount();
    }

    /** The last {@code SIM_RECENT_REQUESTS} completion requests received, oldest first. */
    public List<ReceivedRequest> recentRequests() {
        return stats.recentRequests();
    }

    /** Forgets counts, cancels and recorded requests (open streams keep counting), for tests sharing a simulator. */
    public void resetStats() {
        stats.reset();
    }

    @Override
    public void close() {
        stats.markClosing();
        app.stop();
    }

    private static void json(final Context ctx, final int status, final JsonNode body) {
        ctx.status(status).contentType(CompletionEndpoint.JSON).result(CompletionEndpoint.jsonBytes(body));
    }

    private static void error(final Context ctx, final ApiError error) {
        json(ctx, error.status(), error.toJson());
    }
}
