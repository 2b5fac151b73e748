package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.llmgw.schemas.Json;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible host that counts the calls it has open, as an operator's GPU would feel them: each chat
 * completion is held for a fixed call time (whether or not its caller is still there) and answered with the question
 * echoed back. It records the highest number open at once and when each question arrived.
 */
final class CountingHost implements AutoCloseable {

    /** One call's arrival: the question asked and when (epoch ms). */
    record Arrival(String question, long atMs) {
    }

    private final HttpServer server;
    private final Duration callTime;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final List<Arrival> arrivals = new CopyOnWriteArrayList<>();
    private final List<Arrival> answers = new CopyOnWriteArrayList<>();

    CountingHost(final Duration callTime) throws IOException {
        this.callTime = callTime;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", this::complete);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    int maxOpen() {
        return maxOpen.get();
    }

    int open() {
        return open.get();
    }

    List<Arrival> arrivals() {
        return List.copyOf(arrivals);
    }

    /** The calls answered in full: the question and when its answer was written (epoch ms). */
    List<Arrival> answers() {
        return List.copyOf(answers);
    }

    private void complete(final HttpExchange exchange) throws IOException {
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        boolean closed = false;
        try (exchange) {
            final JsonNode body = Json.MAPPER.readTree(exchange.getRequestBody());
            final JsonNode messages = body.path("messages");
            final String question = messages.path(messages.size() - 1).path("content").asText();
            arrivals.add(new Arrival(question, System.currentTimeMillis()));
            Thread.sleep(callTime); // the GPU's work: this is the host's pace, not a test waiting for something
            final String answer = "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"" + body.path("model").asText()
                    + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                    + Json.MAPPER.writeValueAsString("echo: " + question) + "},\"finish_reason\":\"stop\"}]}";
            final byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            // the call ends before its answer leaves: a worker that reads it may start its next call at once, and that
            // one must not find this one still counted (it was, for the moment between the write and this finally)
            open.decrementAndGet();
            closed = true;
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            answers.add(new Arrival(question, System.currentTimeMillis()));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final IOException e) {
            // the worker went away (killed): the call still counted while it was open
        } finally {
            if (!closed) {
                open.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
