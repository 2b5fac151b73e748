package io.llmgw.gateway;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.NotFoundResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * The gateway's API description: {@code GET /openapi.json} (an OpenAPI 3 document kept beside the code, checked
 * against the registered routes by a test) and {@code GET /docs}, Swagger UI from the {@code org.webjars:swagger-ui}
 * jar, so the page works without a CDN or internet access.
 *
 * <p>The document describes the public API only: routes under {@value #INTERNAL_PATHS} are calls between gateway
 * instances (a forwarded lookup), which no client should build on, so they are left out on purpose.
 */
public final class ApiDocs {

    public static final String DOCUMENT_PATH = "/openapi.json";
    public static final String UI_PATH = "/docs";
    /** Where routes for other gateway instances live; they are not part of the documented API. */
    public static final String INTERNAL_PATHS = "/internal/";
    static final String DOCUMENT_RESOURCE = "/io/llmgw/gateway/openapi.json";
    private static final String PAGE_RESOURCE = "/io/llmgw/gateway/docs.html";
    private static final String WEBJAR_POM = "/META-INF/maven/org.webjars/swagger-ui/pom.properties";

    /** The Swagger UI files the page loads; anything else under /docs is a 404, never a classpath lookup. */
    private static final Map<String, String> ASSETS = Map.of(
            "swagger-ui.css", "text/css; charset=utf-8",
            "swagger-ui-bundle.js", "text/javascript; charset=utf-8",
            "swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8",
            "favicon-32x32.png", "image/png",
            "favicon-16x16.png", "image/png");

    private final byte[] document;
    private final byte[] page;
    private final String assetDirectory;

    private ApiDocs(final byte[] document, final byte[] page, final String assetDirectory) {
        this.document = document;
        this.page = page;
        this.assetDirectory = assetDirectory;
    }

    /**
     * Adds {@code /openapi.json}, {@code /docs} and {@code /docs/{file}} to the routes. Reads the document and finds
     * the Swagger UI jar now, so that a packaging mistake stops the gateway at start-up rather than at the first visit.
     */
    public static void register(final RoutesConfig routes) {
        final ApiDocs docs = new ApiDocs(resource(DOCUMENT_RESOURCE), resource(PAGE_RESOURCE),
                "/META-INF/resources/webjars/swagger-ui/" + webjarVersion() + "/");
        routes.get(DOCUMENT_PATH, ctx -> ctx.contentType(JsonResponse.CONTENT_TYPE).result(docs.document));
        routes.get(UI_PATH, ctx -> ctx.contentType("text/html; charset=utf-8").result(docs.page));
        routes.get(UI_PATH + "/{file}", docs::asset);
    }

    /** Whether a route belongs in the public document: everything but the routes between gateway instances. */
    static boolean isPublic(final String path) {
        return !path.startsWith(INTERNAL_PATHS);
    }

    /** The OpenAPI document as served. */
    static byte[] document() {
        return resource(DOCUMENT_RESOURCE);
    }

    private void asset(final Context ctx) {
        final String file = ctx.pathParam("file");
        final String contentType = ASSETS.get(file);
        if (contentType == null) {
            throw new NotFoundResponse();
        }
        // The bundle is over a megabyte: browsers may keep it for a day (its URL has no version, so not longer).
        ctx.header("Cache-Control", "public, max-age=86400").contentType(contentType)
                .result(resource(assetDirectory + file));
    }

    private static String webjarVersion() {
        final Properties pom = new Properties();
        try (InputStream in = ApiDocs.class.getResourceAsStream(WEBJAR_POM)) {
            if (in == null) {
                throw new IllegalStateException("Swagger UI (org.webjars:swagger-ui) is not on the classpath");
            }
            pom.load(in);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + WEBJAR_POM, e);
        }
        return pom.getProperty("version");
    }

    private static byte[] resource(final String name) {
        try (InputStream in = ApiDocs.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the gateway jar");
            }
            return in.readAllBytes();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }
}
