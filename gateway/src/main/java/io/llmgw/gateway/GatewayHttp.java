package io.llmgw.gateway;

import io.llmgw.runtime.MetricsText;
import io.llmgw.runtime.Readiness;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.Header;
import io.javalin.http.HttpResponseException;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestIds;
import io.llmgw.schemas.RequestLog;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The gateway's HTTP surface, built from its collaborators so that tests can put fakes behind it: the OpenAI routes,
 * {@code /health}, {@code /ready}, {@code /metrics}, {@code /openapi.json} and {@code /docs} ({@link ApiDocs}), and
 * error mapping that answers everything, even an unknown URL or an unexpected exception, with an OpenAI error body and
 * an {@code X-Request-Id}.
 *
 * @param config          the instance's settings
 * @param models          what {@code /v1/models} lists and requests are checked against
 * @param publisher       where requests and cancellations go
 * @param replies         requests waiting for their reply
 * @param ids             makes request ids whose events land on this instance's reply partitions
 * @param accepting       false while requests cannot be served (reply consumer not positioned, shutting down)
 * @param readiness       the checks behind {@code /ready}
 * @param metrics         the Prometheus registry behind {@code /metrics}
 * @param requests        where {@code /v1/requests/{id}} finds a request's state
 * @param eventLog        where {@code /v1/requests/{id}/events} reads a request's events
 * @param limits          the per-key limit check between admission and publishing
 * @param keyNames        key names for the per-key metrics
 * @param batchApi        {@code /v1/files} and {@code /v1/batches}, or null for a gateway without them (tests)
 */
public record GatewayHttp(GatewayConfig config, ModelCatalog models, RequestPublisher publisher,
                          PendingReplies replies, RequestIdMint ids, BooleanSupplier accepting,
                          Readiness readiness, GatewayMetrics metrics, RequestDirectory requests,
                          EventLog eventLog, BearerAuth auth, LimitGate limits, KeyNames keyNames,
                          BatchApi batchApi) {

    /** Without limits (every key's requests pass uncounted) and without the Files and Batch APIs: tests of the other routes. */
    public GatewayHttp(final GatewayConfig config, final ModelCatalog models, final RequestPublisher publisher,
                       final PendingReplies replies, final RequestIdMint ids, final BooleanSupplier accepting,
                       final Readiness readiness, final GatewayMetrics metrics, final RequestDirectory requests,
                       final EventLog eventLog, final BearerAuth auth) {
        this(config, models, publisher, replies, ids, accepting, readiness, metrics, requests, eventLog, auth,
                LimitGate.NONE, KeyNames.STATIC, null);
    }

    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    /** The readiness check that {@code /health} answers too: false once an internal loop of the process died. */
    public static final String ALIVE_CHECK = "alive";

    private static final Logger LOG = LoggerFactory.getLogger(GatewayHttp.class);
    private static final String REQUEST_ID = "llmgw.requestId";
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

    /** The Javalin app, not yet started. */
    public Javalin create() {
        final CompletionsHandler completions = new CompletionsHandler(config,
                new RequestAdmission(config, auth, models, accepting, new PreviousResponses(requests)), limits,
                publisher, replies, ids, metrics, keyNames, Clock.systemUTC());
        final RequestsHandler lookups = new RequestsHandler(config, auth, requests, eventLog);
        final ResponsesHandler responses = new ResponsesHandler(lookups, requests, publisher, metrics,
                Clock.systemUTC());
        return Javalin.create(javalin -> {
            configureServer(javalin);
            final RoutesConfig routes = javalin.routes;
            routes.before(ctx -> assignRequestId(ctx, ids));
            routes.post("/v1/chat/completions", ctx -> completions.handle(ctx, Endpoint.CHAT_COMPLETIONS));
            routes.post("/v1/completions", ctx -> completions.handle(ctx, Endpoint.COMPLETIONS));
            routes.post("/v1/embeddings", ctx -> completions.handle(ctx, Endpoint.EMBEDDINGS));
            routes.post("/v1/responses", ctx -> completions.handle(ctx, Endpoint.RESPONSES));
            routes.get(ResponsesHandler.PATH_PREFIX + "{id}", responses::show);
            routes.post(ResponsesHandler.PATH_PREFIX + "{id}/cancel", responses::cancel);
            routes.delete(ResponsesHandler.PATH_PREFIX + "{id}", responses::delete);
            routes.get(RequestsHandler.PATH_PREFIX + "{id}", lookups::show);
            routes.get(RequestsHandler.PATH_PREFIX + "{id}/events", lookups::events);
            routes.get(RequestLocator.INTERNAL_PREFIX + "{id}", authenticated(auth, lookups::internal));
            routes.get("/v1/models", authorized(auth, this::listModels));
            // <model> rather than {model}: model ids contain slashes (Qwen/Qwen2.5-72B-Instruct-AWQ)
            routes.get("/v1/models/<model>", authorized(auth, this::showModel));
            if (batchApi != null) {
                batchApi.register(routes);
            }
            routes.get("/health", this::health);
            routes.get("/ready", this::ready);
            routes.get("/metrics", ctx -> ctx.contentType(MetricsText.CONTENT_TYPE).result(metrics.scrape()));
            ApiDocs.register(routes);
            routes.after(ctx -> MDC.remove(RequestLog.MDC_KEY));
            routes.exception(HttpResponseException.class, GatewayHttp::httpError);
            routes.exception(Exception.class, GatewayHttp::unexpectedError);
        });
    }

    /** The id of the request being handled, also sent back as {@code X-Request-Id}. */
    static String requestId(final Context ctx) {
        final String id = ctx.attribute(REQUEST_ID);
        return id != null ? id : assignRequestId(ctx, null);
    }

    private void configureServer(final JavalinConfig javalin) {
        javalin.startup.showJavalinBanner = false;
        javalin.concurrency.useVirtualThreads = true;
        javalin.http.maxRequestSize = config.maxBodyBytes();
        javalin.http.prefer405over404 = true;
        if (batchApi != null) {
            batchApi.configure(javalin);
        }
        // Jetty builds a 96 KB header cache per connection (1,024 entries x 48 chars); with thousands of clients
        // waiting or streaming that was most of the gateway's memory per request (see BENCHMARKS.md)
        javalin.jetty.modifyHttpConfiguration(http -> http.setHeaderCacheSize(0));
        javalin.jetty.modifyServer(server -> {
            server.setErrorHandler(new JsonErrorHandler());
            // on stop, requests in progress (just told to end) may finish writing before connections close
            server.setHandler(new GracefulHandler());
            server.setStopTimeout(SHUTDOWN_GRACE.toMillis());
        });
    }

    /** Every answer carries an id; only a completion request's id has to fit this instance's reply partitions. */
    private static String assignRequestId(final Context ctx, final RequestIdMint ids) {
        final String id = ids == null ? RequestIds.next() : ids.next();
        ctx.attribute(REQUEST_ID, id);
        // the handler's thread serves this request only: its log lines carry the id until the after-handler
        MDC.put(RequestLog.MDC_KEY, id);
        ctx.header(REQUEST_ID_HEADER, id);
        return id;
    }

    private static Handler authenticated(final BearerAuth auth, final Handler handler) {
        return ctx -> {
            if (auth.check(ctx.header(Header.AUTHORIZATION)) instanceof BearerAuth.Outcome.Denied denied) {
                JsonResponse.error(ctx, denied.error());
                return;
            }
            handler.handle(ctx);
        };
    }

    /** A route that needs the caller's key, and what the key may see. */
    @FunctionalInterface
    private interface KeyedHandler {
        void handle(Context ctx, BearerAuth.Outcome.Allowed key) throws Exception;
    }

    private static Handler authorized(final BearerAuth auth, final KeyedHandler handler) {
        return ctx -> {
            switch (auth.check(ctx.header(Header.AUTHORIZATION))) {
                case BearerAuth.Outcome.Denied denied -> JsonResponse.error(ctx, denied.error());
                case BearerAuth.Outcome.Allowed allowed -> handler.handle(ctx, allowed);
            }
        };
    }

    /** Only the models the key may call: the others do not exist for it. */
    private void listModels(final Context ctx, final BearerAuth.Outcome.Allowed key) {
        JsonResponse.send(ctx, 200, ModelObjects.list(models.all().stream()
                .filter(route -> key.allows(route.model())).toList()));
    }

    private void showModel(final Context ctx, final BearerAuth.Outcome.Allowed key) {
        final String model = ctx.pathParam("model");
        models.find(model).filter(route -> key.allows(route.model())).ifPresentOrElse(
                route -> JsonResponse.send(ctx, 200, ModelObjects.model(route)),
                () -> JsonResponse.error(ctx, ApiError.modelNotFound(model)));
    }

    /** 200 while the process can serve; 503 once an internal loop died (the process is about to exit). */
    private void health(final Context ctx) {
        final boolean alive = readiness.checks().getOrDefault(ALIVE_CHECK, true);
        JsonResponse.send(ctx, alive ? 200 : 503, status(alive ? "ok" : "failed"));
    }

    private void ready(final Context ctx) {
        final Map<String, Boolean> checks = readiness.checks();
        final boolean ready = checks.values().stream().allMatch(Boolean::booleanValue);
        final ObjectNode body = status(ready ? "ready" : "not_ready");
        final ObjectNode details = body.putObject("checks");
        checks.forEach(details::put);
        JsonResponse.send(ctx, ready ? 200 : 503, body);
    }

    private static ObjectNode status(final String status) {
        final ObjectNode body = Json.object();
        body.put("status", status);
        return body;
    }

    /** Javalin's own answers (no such route, wrong method, body too large) in OpenAI form. */
    private static void httpError(final HttpResponseException e, final Context ctx) {
        final int status = e.getStatus();
        final ApiError error = switch (status) {
            case 404 -> new ApiError(404, "Invalid URL (" + ctx.method() + " " + ctx.path() + ")",
                    "invalid_request_error", null, "unknown_url");
            case 405 -> new ApiError(405, "Method " + ctx.method() + " is not allowed for " + ctx.path() + ".",
                    "invalid_request_error", null, "method_not_allowed");
            case 413 -> new ApiError(413, e.getMessage(), "invalid_request_error", null, "request_too_large");
            default -> new ApiError(status, e.getMessage(),
                    status < 500 ? "invalid_request_error" : "server_error", null, null);
        };
        requestId(ctx);
        JsonResponse.error(ctx, error);
    }

    /**
     * A bug or an unforeseen failure. The client still gets an OpenAI error (503, which the SDKs retry) with the
     * request id to quote, never a framework error page.
     */
    private static void unexpectedError(final Exception e, final Context ctx) {
        final String id = requestId(ctx);
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        LOG.error("unexpected failure handling {} {} ({})", ctx.method(), ctx.path(), id, e);
        JsonResponse.error(ctx, new ApiError(503, "The gateway failed to handle this request (" + id
                + "); please retry.", "server_error", null, "internal_error"));
    }
}
