package io.llmgw.app.e2e;

import io.llmgw.simulator.LlmSimulator;
import io.llmgw.simulator.ReceivedRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the client sends is what the LLM host receives; the client's key stays at the gateway. */
class PassthroughIT {

    private static E2eStack stack;
    private static LlmSimulator host;

    @BeforeAll
    static void startStack() {
        stack = E2eStack.shared();
        host = stack.stack().simulator();
    }

    @Test
    void shouldDeliverTheClientsBodyToTheHostByteForByte() throws Exception {
        final String body = "{\"model\":\"" + E2eStack.QWEN + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Какая погода?\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","
                + "\"properties\":{\"city\":{\"type\":\"string\"}}}}}],\"tool_choice\":\"auto\","
                + "\"response_format\":{\"type\":\"json_object\"},\"logprobs\":true,\"top_logprobs\":2,"
                + "\"seed\":123456789012345678901234567890,\"n\":2,\"stop\":[\"\\n\\n\",\"END\"],"
                + "\"logit_bias\":{\"50256\":-100},\"user\":\"user-42\",\"temperature\":0.70,\"top_p\":1.0,"
                + "\"vendor_extension\":{\"guided_json\":{\"a\":[1,2.50,null,true]}},"
                + "\"x_sim\":{\"key\":\"passthrough-body\"}}";

        final Http.Reply reply = Http.post(stack.gatewayUrl() + "/chat/completions", body,
                "Authorization", "Bearer client-secret-key");

        assertEquals(200, reply.status(), reply.body());
        assertEquals(2, reply.json().get("choices").size(), "n=2 reached the host");
        final ReceivedRequest received = host.recentRequests().stream()
                .filter(r -> "passthrough-body".equals(r.simKey().orElse(null)))
                .reduce((first, second) -> second).orElseThrow();
        assertEquals(body, received.rawBody());
        final String authorization = received.header("authorization").orElse(null);
        assertTrue(authorization == null || !authorization.contains("client-secret-key"),
                "the client's key must never reach the host: " + authorization);
    }

    @Test
    void shouldReturnTheHostsCompletionObjectUnchanged() throws Exception {
        final String body = "{\"model\":\"" + E2eStack.QWEN + "\",\"prompt\":\"Раз, два, три\",\"max_tokens\":3}";
        final Http.Reply viaGateway = Http.post(stack.gatewayUrl() + "/completions", body);
        final Http.Reply direct = Http.post(host.baseUrl() + "/completions", body);

        assertEquals(200, viaGateway.status(), viaGateway.body());
        assertNotNull(viaGateway.header("X-Request-Id"));
        final var gatewayJson = (com.fasterxml.jackson.databind.node.ObjectNode) viaGateway.json();
        final var directJson = (com.fasterxml.jackson.databind.node.ObjectNode) direct.json();
        // id and created differ per call; everything else is the host's object as it sent it
        gatewayJson.remove("id");
        gatewayJson.remove("created");
        directJson.remove("id");
        directJson.remove("created");
        assertEquals(directJson, gatewayJson);
        assertEquals("length", gatewayJson.at("/choices/0/finish_reason").asText());
    }
}
