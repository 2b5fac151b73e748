package io.llmgw.app.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.llmgw.runtime.MetricsText;
import io.llmgw.runtime.Readiness;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operations endpoints of a process that serves no HTTP otherwise (router, worker): {@code GET /metrics}
 * (Prometheus text), {@code GET /health} (200 while the process runs) and {@code GET /ready} (200 when every check
 * holds, else 503, with each check in the body, as the gateway answers). The JDK's HTTP server, on virtual threads:
 * a scrape or a probe is all it ever serves.
 */
public final class OpsServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private OpsServer(final HttpServer server, final ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Listens on {@code host:port} (port 0 picks a free one).
     *
     * @param metrics   the Prometheus text of the process, produced per scrape
     * @param readiness the checks behind {@code /ready}
     */
    public static OpsServer start(final String host, final int port, final Supplier<String> metrics,
                                  final Readiness readiness) {
        final HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + " for /metrics, /health and "
                    + "/ready (OPS_PORT)", e);
        }
        final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", exchange -> answer(exchange, metrics, readiness));
        server.start();
        final OpsServer ops = new OpsServer(server, executor);
        LOG.info("operations endpoints on http://{}:{}/metrics, /health, /ready", host, ops.port());
        return ops;
    }

    /** The port listened on (the chosen one when started with 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void answer(final HttpExchange exchange, final Supplier<String> metrics,
                               final Readiness readiness) throws IOException {
        try (exchange) {
            final String path = exchange.getRequestURI().getPath();
            if (!exchange.getRequestMethod().equals("GET")) {
                send(exchange, 405, ContentType.JSON, error(405, "Method " + exchange.getRequestMethod()
                        + " is not allowed for " + path + "."));
                return;
            }
            switch (path) {
                case "/metrics" -> send(exchange, 200, ContentType.PROMETHEUS,
                        metrics.get().getBytes(StandardCharsets.UTF_8));
                case "/health" -> {
                    final boolean alive = readiness.checks().getOrDefault(ProcessReadiness.ALIVE, true);
                    send(exchange, alive ? 200 : 503, ContentType.JSON, json(status(alive ? "ok" : "failed")));
                }
                case "/ready" -> ready(exchange, readiness);
                default -> send(exchange, 404, ContentType.JSON, error(404, "Invalid URL (GET " + path
                        + "); this port serves /metrics, /health and /ready."));
            }
        }
    }

    private static void ready(final HttpExchange exchange, final Readiness readiness) throws IOException {
        final Map<String, Boolean> checks = readiness.checks();
        final boolean ready = checks.values().stream().allMatch(Boolean::booleanValue);
        final ObjectNode body = status(ready ? "ready" : "not_ready");
        final ObjectNode details = body.putObject("checks");
        checks.forEach(details::put);
        send(exchange, ready ? 200 : 503, ContentType.JSON, json(body));
    }

    /** Content types this server answers with. */
    private enum ContentType {
        JSON("application/json"),
        PROMETHEUS(MetricsText.CONTENT_TYPE);

        private final String contentType;

        ContentType(final String contentType) {
            this.contentType = contentType;
        }
    }

    private static void send(final HttpExchange exchange, final int status, final ContentType type,
                             final byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type.contentType);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static ObjectNode status(final String status) {
        final ObjectNode body = Json.object();
        body.put("status", status);
        return body;
    }

    private static byte[] error(final int status, final String message) {
        return json(new ApiError(status, message, "invalid_request_error", null, null).toJson());
    }

    private static byte[] json(final JsonNode body) {
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
