package io.llmgw.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible endpoint under load (the simulator directly, or the gateway): chat completion requests over
 * one shared JDK {@link HttpClient} (HTTP/1.1, a connection per request in flight, callbacks on virtual threads).
 *
 * @param name    the path's name in the results ({@code direct}, {@code gateway})
 * @param client  the shared client
 * @param baseUrl the OpenAI base URL, ending in {@code /v1}
 * @param model   the model every request names
 * @param timeout per request
 * @param headers sent with every request besides the usual ones (a peer's routing headers)
 */
record ChatTarget(String name, HttpClient client, URI baseUrl, String model, Duration timeout,
                  Map<String, String> headers) {

    ChatTarget(final String name, final HttpClient client, final URI baseUrl, final String model,
               final Duration timeout) {
        this(name, client, baseUrl, model, timeout, Map.of());
    }

    /** The non-streaming request: a short prompt, so the numbers are about the path and not about payload. */
    static final String PROMPT = "ping from llmgw bench";
    static final int MAX_TOKENS = 16;

    /** The load generator's client; its connections stay open between requests (HTTP/1.1 keep-alive). */
    static HttpClient newClient() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    /**
     * The same endpoint over {@code other}: cases that open thousands of connections (streams, waiting requests)
     * use a client of their own and close it, so that its idle connections do not weigh on later steps (the JDK
     * client's pool handles thousands of idle connections in linear time).
     */
    ChatTarget withClient(final HttpClient other) {
        return new ChatTarget(name, other, baseUrl, model, timeout, headers);
    }

    URI chatUrl() {
        return URI.create(baseUrl + "/chat/completions");
    }

    /** A non-streaming completion; succeeds on a 200 that carries a finished choice. */
    CompletableFuture<Outcome> complete(final HttpRequest request) {
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(response -> {
                    if (response.statusCode() != 200) {
                        return Outcome.failed("http " + response.statusCode());
                    }
                    return new String(response.body(), StandardCharsets.UTF_8).contains("\"finish_reason\"")
                            ? Outcome.OK : Outcome.failed("no finish_reason");
                })
                .exceptionally(Outcome::failed);
    }

    /** The request {@link #complete} sends, built once: requests are immutable and reusable. */
    HttpRequest completionRequest() {
        return post(chatBody(model, PROMPT, MAX_TOKENS));
    }

    HttpRequest post(final JsonNode body) {
        try {
            final HttpRequest.Builder request = HttpRequest.newBuilder(chatUrl())
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer llmgw-bench")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body)));
            headers.forEach(request::header);
            return request.build();
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a request body", e);
        }
    }

    static ObjectNode chatBody(final String model, final String prompt, final int maxTokens) {
        final ObjectNode body = Json.object();
        body.put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        body.put("max_tokens", maxTokens);
        return body;
    }
}
