package io.llmgw.app.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.llmgw.runtime.MetricsText;
import io.llmgw.runtime.Readiness;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.function.Supplier;

/**
 * The operations endpoints of a process that serves no HTTP otherwise (router, worker): {@code GET /metrics}
 * (Prometheus text), {@code GET /health} (200 while the process can serve, 503 once an internal loop died) and {@code GET /ready} (200 when every check
 * holds, else 503, with each check in the body, as the gateway answers). Javalin on virtual threads, as the gateway:
 * the project has one HTTP server stack, and a scrape or a probe is all this one ever serves.
 *
 * <p>Threading: Javalin's virtual threads call {@code metrics} and {@code readiness}; both must be thread-safe.
 */
public final class OpsServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);

    private final Javalin app;

    private OpsServer(final Javalin app) {
        this.app = app;
    }

    /**
     * Listens on {@code host:port} (port 0 picks a free one).
     *
     * @param metrics   the Prometheus text of the process, produced per scrape
     * @param readiness the checks behind {@code /ready}
     */
    public static OpsServer start(final String host, final int port, final Supplier<String> metrics,
                                  final Readiness readiness) {
        final Javalin app = Javalin.create(javalin -> {
            javalin.startup.showJavalinBanner = false;
            javalin.concurrency.useVirtualThreads = true;
            javalin.http.prefer405over404 = true;
            javalin.routes.get("/metrics", ctx -> ctx.contentType(MetricsText.CONTENT_TYPE).result(metrics.get()));
            // 503 once an internal loop of the process died (ProcessFailure); the launcher then exits with 70
            javalin.routes.get("/health", ctx -> {
                final boolean alive = readiness.checks().getOrDefault(ProcessReadiness.ALIVE, true);
                json(ctx, alive ? 200 : 503, status(alive ? "ok" : "failed"));
            });
            javalin.routes.get("/ready", ctx -> ready(ctx, readiness));
            javalin.routes.exception(HttpResponseException.class, OpsServer::httpError);
        });
        try {
            app.start(host, port);
        } catch (final RuntimeException e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + port + " for /metrics, /health and "
                    + "/ready (OPS_PORT)", e);
        }
        final OpsServer ops = new OpsServer(app);
        LOG.info("operations endpoints on http://{}:{}/metrics, /health, /ready", host, ops.port());
        return ops;
    }

    /** The port listened on (the chosen one when started with 0). */
    public int port() {
        return app.port();
    }

    private static void ready(final Context ctx, final Readiness readiness) {
        final Map<String, Boolean> checks = readiness.checks();
        final boolean ready = checks.values().stream().allMatch(Boolean::booleanValue);
        final ObjectNode body = status(ready ? "ready" : "not_ready");
        final ObjectNode details = body.putObject("checks");
        checks.forEach(details::put);
        json(ctx, ready ? 200 : 503, body);
    }

    /** No such route or a wrong method, in OpenAI form like every other answer of the project. */
    private static void httpError(final HttpResponseException e, final Context ctx) {
        final int status = e.getStatus();
        final String message = switch (status) {
            case 404 -> "Invalid URL (" + ctx.method() + " " + ctx.path()
                    + "); this port serves /metrics, /health and /ready.";
            case 405 -> "Method " + ctx.method() + " is not allowed for " + ctx.path() + ".";
            default -> e.getMessage();
        };
        json(ctx, status, new ApiError(status, message, "invalid_request_error", null, null).toJson());
    }

    private static ObjectNode status(final String status) {
        final ObjectNode body = Json.object();
        body.put("status", status);
        return body;
    }

    private static void json(final Context ctx, final int status, final JsonNode body) {
        try {
            ctx.status(status).contentType("application/json").result(Json.MAPPER.writeValueAsBytes(body));
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    @Override
    public void close() {
        app.stop();
    }
}
