package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.core.http.StreamResponse;
import com.openai.core.JsonValue;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.llmgw.gateway.GatewayServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input and failing hosts end in OpenAI error objects with the right status: never a 500, a hang or silence. A
 * second gateway on the same broker enforces API keys, a small body limit and a short request timeout.
 */
class ErrorsIT {

    private static E2eStack stack;
    private static GatewayServer strictGateway;
    private static String strictUrl;

    @BeforeAll
    static void startStack() throws Exception {
        stack = E2eStack.shared();
        strictGateway = GatewayServer.start(stack.settings().with(Map.of(
                "GATEWAY_PORT", "0",
                "GATEWAY_ID", "strict-gateway",
                "GATEWAY_API_KEYS", "key-one,key-two",
                "GATEWAY_MAX_BODY_BYTES", "2048",
                "GATEWAY_REQUEST_TIMEOUT", "1")));
        strictGateway.awaitReady(Duration.ofSeconds(60));
        strictUrl = "http://127.0.0.1:" + strictGateway.port() + "/v1";
    }

    @AfterAll
    static void stopStrictGateway() {
        if (strictGateway != null) {
            strictGateway.close();
        }
    }

    @Test
    void shouldAnswer400ForMalformedJson() throws Exception {
        assertError(Http.post(stack.gatewayUrl() + "/chat/completions", "{\"model\": "), 400, null);
    }

    @Test
    void shouldAnswer400NamingTheMissingField() throws Exception {
        assertError(Http.post(stack.gatewayUrl() + "/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
                400, "model");
        assertError(Http.post(stack.gatewayUrl() + "/chat/completions", "{\"model\":\"" + E2eStack.QWEN + "\"}"),
                400, "messages");
        assertError(Http.post(stack.gatewayUrl() + "/completions", "{\"model\":\"" + E2eStack.QWEN + "\"}"),
                400, "prompt");
    }

    @Test
    void shouldAnswer404ForAnUnknownModelAndTheSdkRaisesNotFound() throws Exception {
        final JsonNode error = assertError(Http.post(stack.gatewayUrl() + "/chat/completions",
                PredecessorCalls.chatJson("no-such-model", "hi", false)), 404, "model");
        assertEquals("model_not_found", error.get("code").asText());
        assertThrows(NotFoundException.class, () -> stack.client().chat().completions()
                .create(PredecessorCalls.chat("no-such-model", "hi")));
    }

    @Test
    void shouldAnswer401WithoutAValidKeyWhenKeysAreConfigured() throws Exception {
        final String body = PredecessorCalls.chatJson(E2eStack.QWEN, "hi", false);
        assertError(Http.post(strictUrl + "/chat/completions", body), 401, null);
        assertError(Http.post(strictUrl + "/chat/completions", body, "Authorization", "Bearer wrong"), 401, null);
        assertEquals(200, Http.post(strictUrl + "/chat/completions", body, "Authorization", "Bearer key-two").status());
    }

    @Test
    void shouldAnswer413ForABodyOverTheLimit() throws Exception {
        final String body = PredecessorCalls.chatJson(E2eStack.QWEN, "x".repeat(4096), false);
        assertError(Http.post(strictUrl + "/chat/completions", body, "Authorization", "Bearer key-one"), 413, null);
    }

    @Test
    void shouldAnswer504AtTheDeadline() throws Exception {
        final String body = "{\"model\":\"" + E2eStack.QWEN + "\",\"messages\":[{\"role\":\"user\",\"content\":\"slow\"}],"
                + "\"x_sim\":{\"ttft_ms\":4000}}";
        final long started = System.nanoTime();
        final Http.Reply reply = Http.post(strictUrl + "/chat/completions", body, "Authorization", "Bearer key-one");
        final Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertError(reply, 504, null);
        assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "answered at the 1 s deadline, not after the host: " + took);
    }

    @Test
    void shouldPassTheHostsClientErrorThroughWithItsMessage() {
        final BadRequestException e = assertThrows(BadRequestException.class, () -> stack.client().chat().completions()
                .create(withSim(E2eStack.QWEN, "{\"fail_status\":400,\"key\":\"host-400\",\"fail_times\":1}")));
        assertEquals(400, e.statusCode());
        assertTrue(e.getMessage().contains("Simulated failure 400 on call 1 of 'host-400'."), e.getMessage());
        // fail_times 1: a retry would have succeeded, so a 400 also proves the worker did not retry a client error
        assertEquals(1, stack.stack().simulator().requestsForKey("host-400"));
    }

    @Test
    void shouldRetryAHostThatIsBusyAndThenAnswer() throws Exception {
        final String body = "{\"model\":\"" + E2eStack.QWEN + "\",\"messages\":[{\"role\":\"user\",\"content\":\"retry me\"}],"
                + "\"x_sim\":{\"fail_status\":503,\"fail_times\":2,\"key\":\"retry-503\"}}";
        final Http.Reply reply = Http.post(stack.gatewayUrl() + "/chat/completions", body);
        assertEquals(200, reply.status(), reply.body());
        assertEquals(3, stack.stack().simulator().requestsForKey("retry-503"));
    }

    @Test
    void shouldAnswerTheHostsStatusWhenRetriesRunOut() throws Exception {
        final String body = "{\"model\":\"" + E2eStack.QWEN + "\",\"messages\":[{\"role\":\"user\",\"content\":\"down\"}],"
                + "\"x_sim\":{\"fail_status\":503,\"key\":\"always-503\"}}";
        final JsonNode error = assertError(Http.post(stack.gatewayUrl() + "/chat/completions", body), 503, null);
        // WORKER_MAX_ATTEMPTS defaults to 3: the client sees the last try's answer, and the host saw exactly three
        assertEquals("Simulated failure 503 on call 3 of 'always-503'.", error.get("message").asText());
        assertEquals(3, stack.stack().simulator().requestsForKey("always-503"));
    }

    @Test
    void shouldAnswerAStreamThatFailsBeforeItsFirstChunkWithAPlainError() throws Exception {
        final String body = "{\"model\":\"" + E2eStack.QWEN + "\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"no\"}],\"x_sim\":{\"fail_status\":400,\"key\":\"stream-400\"}}";
        assertError(Http.post(stack.gatewayUrl() + "/chat/completions", body), 400, null);
    }

    @Test
    void shouldEndAStreamCutMidWayWithAnErrorTheSdkRaises() {
        final List<String> seen = new ArrayList<>();
        final OpenAIException e = assertThrows(OpenAIException.class, () -> {
            try (StreamResponse<ChatCompletionChunk> stream = stack.client().chat().completions()
                    .createStreaming(withSim(E2eStack.QWEN, "{\"cut_after\":3,\"tokens\":20}"))) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(seen::add)));
            }
        });
        assertNotNull(e.getMessage());
        assertFalse(seen.isEmpty(), "the chunks before the cut were delivered");
        assertTrue(seen.size() < 20, "the stream did not pretend to finish: " + seen.size());
    }

    private static ChatCompletionCreateParams withSim(final String model, final String xSim) throws Exception {
        return PredecessorCalls.chat(model, "fault " + xSim).toBuilder()
                .putAdditionalBodyProperty("x_sim", JsonValue.from(io.llmgw.schemas.Json.MAPPER.readValue(xSim, Map.class)))
                .build();
    }

    private static JsonNode assertError(final Http.Reply reply, final int status, final String param) {
        assertEquals(status, reply.status(), reply.body());
        final JsonNode error = reply.json().get("error");
        assertNotNull(error, "OpenAI error object: " + reply.body());
        assertTrue(error.hasNonNull("message") && !error.get("message").asText().isBlank(), reply.body());
        assertTrue(error.has("type") && error.has("param") && error.has("code"), reply.body());
        if (param != null) {
            assertEquals(param, error.get("param").asText(), reply.body());
        }
        return error;
    }
}
