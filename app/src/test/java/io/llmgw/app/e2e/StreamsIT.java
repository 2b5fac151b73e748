package io.llmgw.app.e2e;

import io.llmgw.gateway.GatewayServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every answer carries and what a quiet stream sends: {@code X-Request-Id} on each response, SSE event ids, and
 * {@code : keep-alive} comments while a stream waits for its first token (a second gateway with a short
 * {@code GATEWAY_SSE_KEEPALIVE}), which the official SDK reads past.
 */
class StreamsIT {

    private static E2eStack stack;
    private static GatewayServer patient;
    private static String patientUrl;

    @BeforeAll
    static void startGateway() throws Exception {
        stack = E2eStack.shared();
        patient = GatewayServer.start(stack.settings().with(Map.of(
                "GATEWAY_PORT", "0",
                "GATEWAY_ID", "keepalive-gateway",
                "GATEWAY_ADVERTISED_HOST", "127.0.0.1",
                "GATEWAY_SSE_KEEPALIVE", "0.2")));
        patient.awaitReady(java.time.Duration.ofSeconds(60));
        patientUrl = "http://127.0.0.1:" + patient.port() + "/v1";
    }

    @AfterAll
    static void stopGateway() {
        if (patient != null) {
            patient.close();
        }
    }

    private static String chat(final String key, final boolean stream, final String xSim) {
        return "{\"model\":\"" + E2eStack.GPT + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"streams " + key + "\"}],\"x_sim\":{\"key\":\"" + key + "\"" + xSim + "}}";
    }

    @Test
    void shouldSendKeepAlivesWhileWaitingForTheFirstTokenThenTheStream() throws Exception {
        final List<String> lines = new ArrayList<>();
        try (RawHttp client = RawHttp.post(patientUrl + "/chat/completions",
                chat("keepalive", true, ",\"ttft_ms\":1500,\"tokens\":5"))) {
            assertTrue(client.readLine().startsWith("HTTP/1.1 200"), "the stream opened before the first token");
            for (String line = client.readLine(); line != null && !line.equals("data: [DONE]"); line = client.readLine()) {
                lines.add(line);
            }
        }
        final int firstData = indexOf(lines, "data: ");
        final int firstKeepAlive = indexOf(lines, ": keep-alive");
        assertTrue(firstKeepAlive >= 0 && firstKeepAlive < firstData, "keep-alives came before the first chunk");
        assertTrue(lines.stream().filter(line -> line.equals(": keep-alive")).count() >= 3,
                "about one every 0.2 s of the 1.5 s wait: " + lines);
    }

    @Test
    void shouldLetTheSdkReadPastKeepAlives() throws Exception {
        final List<String> direct = new PredecessorCalls(stack.client(), stack.stack().simulator().baseUrl())
                .directChatDeltas(E2eStack.GPT, "keep-alive sdk");
        final var client = com.openai.client.okhttp.OpenAIOkHttpClient.builder().apiKey("token").baseUrl(patientUrl)
                .maxRetries(0).build();
        final List<String> streamed = new ArrayList<>();
        try (var stream = client.chat().completions().createStreaming(PredecessorCalls.chat(E2eStack.GPT,
                "keep-alive sdk").toBuilder().putAdditionalBodyProperty("x_sim",
                com.openai.core.JsonValue.from(Map.of("ttft_ms", 800))).build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(streamed::add)));
        }
        assertEquals(direct, streamed);
    }

    @Test
    void shouldNumberEveryStreamEventWithItsSeq() throws Exception {
        final List<Long> ids = new ArrayList<>();
        try (RawHttp client = RawHttp.post(stack.gatewayUrl() + "/chat/completions", chat("ids", true, ",\"tokens\":8"))) {
            for (String line = client.readLine(); line != null && !line.equals("data: [DONE]"); line = client.readLine()) {
                if (line.startsWith("id: ")) {
                    ids.add(Long.parseLong(line.substring(4)));
                }
            }
        }
        assertEquals(java.util.stream.LongStream.range(0, ids.size()).boxed().toList(), ids);
        assertTrue(ids.size() >= 9, "8 tokens, the finish chunk and the end: " + ids);
    }

    @Test
    void shouldPutARequestIdOnEveryResponse() throws Exception {
        final List<Http.Reply> replies = List.of(
                Http.post(stack.gatewayUrl() + "/chat/completions", chat("rid-json", false, "")),
                Http.post(stack.gatewayUrl() + "/chat/completions", chat("rid-stream", true, "")),
                Http.post(stack.gatewayUrl() + "/chat/completions", chat("rid-async", false, ""),
                        "Prefer", "respond-async"),
                Http.post(stack.gatewayUrl() + "/chat/completions", "{\"model\":\"" + E2eStack.GPT + "\"}"),
                Http.get(stack.gatewayUrl() + "/models"),
                Http.get(stack.gatewayUrl() + "/requests/req_ffffffffffffffffffffffff"),
                Http.get(stack.gatewayUrl() + "/no-such-thing"));
        for (final Http.Reply reply : replies) {
            assertNotNull(reply.header("X-Request-Id"), "status " + reply.status() + ": " + reply.body());
            assertTrue(reply.header("X-Request-Id").matches("req_[0-9a-f]{24}"));
        }
    }

    private static int indexOf(final List<String> lines, final String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
