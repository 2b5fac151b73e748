package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.router.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.Topics;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAPI document describes exactly the routes the gateway serves, is valid OpenAPI 3, and /docs shows it. */
class ApiDocsTest {

    private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "options", "head", "patch",
            "trace");
    /** Javalin's {@code {name}} and {@code <name>} (may contain slashes) parameters; OpenAPI writes both as {name}. */
    private static final Pattern PATH_PARAM = Pattern.compile("[{<]([^}>]+)[}>]");

    private final OkHttpClient client = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(5)).build();
    private Javalin app;

    @BeforeEach
    void createApp() {
        final GatewayConfig config = new GatewayConfig("127.0.0.1", 0, Set.of(), 1024, Duration.ofSeconds(5),
                Duration.ofSeconds(1), Duration.ofSeconds(15), Optional.empty(), "gw-docs", new Topics("test"),
                Duration.ofHours(1), "127.0.0.1", 2);
        final BearerAuth auth = new BearerAuth(Set.of());
        app = new GatewayHttp(config, FakeModels.of("gpt-4o"), new RecordingPublisher(), new PendingReplies(),
                new RequestIdMint(ReplyPartitions.parse("0"), 1), () -> true, () -> Map.of("models", true),
                new GatewayMetrics(), new FakeRequests(), new FakeEventLog(), auth, LimitGate.NONE, KeyNames.STATIC,
                batchApi(auth)).create();
    }

    /** The batch routes with nothing behind them: this test only lists the routes. */
    private static BatchApi batchApi(final BearerAuth auth) {
        return new BatchApi(new FilesHandler(null, auth, 1, 1),
                new BatchesHandler(null, null, auth, java.time.Clock.systemUTC(),
                        java.time.Duration.ofHours(24)), new BatchConfig(1, 1, 1, java.time.Duration.ofHours(24)));
    }

    @AfterEach
    void stop() {
        client.connectionPool().evictAll();
        app.stop();
    }

    @Test
    void shouldDescribeEveryPublicRouteAndNoOtherWhenComparedWithTheRegisteredRoutes() throws IOException {
        final Set<String> routes = registeredRoutes(true);
        final Set<String> documented = documentedRoutes();

        assertTrue(routes.contains("POST /v1/chat/completions"), "the routes were listed: " + routes);
        assertTrue(routes.contains("GET /v1/requests/{id}/events"), "the lifecycle routes were listed: " + routes);
        final Set<String> undocumented = new TreeSet<>(routes);
        undocumented.removeAll(documented);
        final Set<String> unserved = new TreeSet<>(documented);
        unserved.removeAll(routes);
        assertEquals(Set.of(), undocumented, "routes without a description in " + ApiDocs.DOCUMENT_RESOURCE);
        assertEquals(Set.of(), unserved, "described in " + ApiDocs.DOCUMENT_RESOURCE + " but not served");
    }

    @Test
    void shouldLeaveOutTheRoutesBetweenGatewaysWhenDescribingTheApi() throws IOException {
        final Set<String> internal = new TreeSet<>(registeredRoutes(false));
        internal.removeAll(registeredRoutes(true));

        assertEquals(Set.of("GET " + RequestLocator.INTERNAL_PREFIX + "{id}"), internal);
        assertTrue(documentedRoutes().stream().noneMatch(route -> route.contains(ApiDocs.INTERNAL_PATHS)),
                "internal routes stay out of the public document");
    }

    @Test
    void shouldDescribeTheAsyncAnswerAndTheDeadlineHeadersWhenSubmittingACompletion() throws IOException {
        final JsonNode document = Json.MAPPER.readTree(ApiDocs.document());
        for (final String path : List.of("/v1/chat/completions", "/v1/completions")) {
            final JsonNode post = document.path("paths").path(path).path("post");
            assertTrue(post.path("responses").has("202"), path + " answers 202 to Prefer: respond-async");
            final Set<String> headers = new TreeSet<>();
            post.path("parameters").forEach(parameter -> {
                final String name = parameter.path("$ref").asText().replace("#/components/parameters/", "");
                headers.add(document.path("components").path("parameters").path(name).path("name").asText());
            });
            assertEquals(Set.of(RequestTimeouts.REQUEST_TIMEOUT_HEADER, RequestTimeouts.STAINLESS_TIMEOUT_HEADER,
                    CompletionsHandler.PREFER), headers, path);
        }
    }

    @Test
    void shouldBeAValidOpenApi3DocumentWhenParsedStrictly() {
        final ParseOptions options = new ParseOptions();
        options.setResolve(true);
        final SwaggerParseResult result = new OpenAPIV3Parser()
                .readContents(new String(ApiDocs.document(), StandardCharsets.UTF_8), null, options);

        assertNotNull(result.getOpenAPI(), "parsed: " + result.getMessages());
        assertEquals(List.of(), result.getMessages());
        assertTrue(result.getOpenAPI().getOpenapi().startsWith("3."));
        result.getOpenAPI().getPaths().forEach((path, item) -> item.readOperations().forEach(operation ->
                assertTrue(operation.getSummary() != null && !operation.getSummary().isBlank(),
                        path + " needs a summary")));
    }

    @Test
    void shouldServeTheDocumentAndSwaggerUiWhenAsked() throws IOException {
        app.start("127.0.0.1", 0);
        final String base = "http://127.0.0.1:" + app.port();

        try (Response document = get(base + ApiDocs.DOCUMENT_PATH)) {
            assertEquals(200, document.code());
            assertTrue(document.header("Content-Type").startsWith("application/json"));
            assertEquals("3.0.3", Json.MAPPER.readTree(document.body().string()).path("openapi").asText());
        }
        try (Response page = get(base + ApiDocs.UI_PATH)) {
            assertEquals(200, page.code());
            assertTrue(page.header("Content-Type").startsWith("text/html"));
            final String html = page.body().string();
            assertTrue(html.contains("/docs/swagger-ui-bundle.js") && html.contains("\"/openapi.json\""), html);
        }
        try (Response bundle = get(base + "/docs/swagger-ui-bundle.js")) {
            assertEquals(200, bundle.code());
            assertTrue(bundle.header("Content-Type").startsWith("text/javascript"));
            assertTrue(bundle.body().string().contains("SwaggerUIBundle"), "the webjar's bundle");
        }
    }

    @Test
    void shouldAnswer404WithAnOpenAiErrorWhenTheFileIsNotPartOfSwaggerUi() throws IOException {
        app.start("127.0.0.1", 0);

        try (Response response = get("http://127.0.0.1:" + app.port() + "/docs/index.html")) {
            assertEquals(404, response.code());
            assertEquals("invalid_request_error",
                    Json.MAPPER.readTree(response.body().string()).path("error").path("type").asText());
        }
    }

    /** METHOD and path of every HTTP route Javalin registered; only the documented kind when {@code onlyPublic}. */
    private Set<String> registeredRoutes(final boolean onlyPublic) {
        final Set<String> routes = new TreeSet<>();
        app.unsafe.internalRouter.allHttpHandlers().stream()
                .map(parsed -> parsed.endpoint)
                .filter(endpoint -> endpoint.method.isHttpMethod())
                .filter(endpoint -> !onlyPublic || ApiDocs.isPublic(endpoint.path))
                .forEach(endpoint -> routes.add(operation(endpoint)));
        return routes;
    }

    private static Set<String> documentedRoutes() throws IOException {
        final Set<String> documented = new TreeSet<>();
        final JsonNode paths = Json.MAPPER.readTree(ApiDocs.document()).path("paths");
        for (final Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> path = it.next();
            path.getValue().fieldNames().forEachRemaining(method -> {
                if (OPERATIONS.contains(method)) {
                    documented.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path.getKey());
                }
            });
        }
        return documented;
    }

    private Response get(final String url) throws IOException {
        return client.newCall(new Request.Builder().url(url).get().build()).execute();
    }

    private static String operation(final Endpoint endpoint) {
        return endpoint.method.name() + " " + PATH_PARAM.matcher(endpoint.path).replaceAll("{$1}");
    }
}
