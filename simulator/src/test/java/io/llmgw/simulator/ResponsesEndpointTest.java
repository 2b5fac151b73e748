package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The simulator's {@code POST /v1/responses}, sync and streamed, over real HTTP. */
class ResponsesEndpointTest {

    private static LlmSimulator simulator;
    private static SimulatorHttp http;

    @BeforeAll
    static void start() {
        simulator = LlmSimulator.start(SimulatorConfig.defaults().withoutDelays());
        http = new SimulatorHttp(simulator);
    }

    @AfterAll
    static void stop() {
        simulator.close();
    }

    private static ObjectNode request(final String input) {
        return Json.object().put("model", "gpt-4o-mini").put("input", input);
    }

    /** Each event of a stream as (event name, data). */
    private static List<String[]> events(final byte[] body) {
        final List<String[]> events = new ArrayList<>();
        String name = null;
        for (final String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("data: ")) {
                events.add(new String[] {name, line.substring(6)});
                name = null;
            }
        }
        return events;
    }

    @Test
    void shouldAnswerAResponseObjectEchoingTheInput() throws IOException {
        final JsonNode response = http.call(http.post("/responses", request("how are you"))).json();

        assertTrue(response.get("id").asText().startsWith("resp_"));
        assertEquals("response", response.get("object").asText());
        assertEquals("completed", response.get("status").asText());
        assertEquals("message", response.at("/output/0/type").asText());
        assertEquals("output_text", response.at("/output/0/content/0/type").asText());
        assertEquals(SimulatedReply.PREFIX + "how are you", response.at("/output/0/content/0/text").asText());
        assertEquals(3, response.at("/usage/input_tokens").asInt());
        assertEquals(5, response.at("/usage/output_tokens").asInt());
    }

    @Test
    void shouldReadTheLastUserItemsTextPartsAndCapAtMaxOutputTokens() throws IOException {
        final ObjectNode body = Json.object().put("model", "m").put("max_output_tokens", 2);
        body.putArray("input").add(Json.object().put("role", "user").put("content", "first"))
                .add(Json.object().put("role", "assistant").put("content", "ignored"))
                .addObject().put("role", "user").putArray("content")
                .add(Json.object().put("type", "input_text").put("text", "last one"));

        final JsonNode response = http.call(http.post("/responses", body)).json();

        assertEquals("incomplete", response.get("status").asText());
        assertEquals("max_output_tokens", response.at("/incomplete_details/reason").asText());
        assertEquals("You said:", response.at("/output/0/content/0/text").asText());
        assertEquals("last one", ResponsesEndpoint.inputText(body.get("input")).substring(0, 8));
    }

    @Test
    void shouldStreamTypedEventsInOpenAisOrderWithConsecutiveSequenceNumbers() throws IOException {
        final SimulatorHttp.Reply reply = http.call(http.post("/responses", request("one two").put("stream", true)));

        assertTrue(reply.contentType().startsWith("text/event-stream"));
        assertFalse(new String(reply.bytes(), StandardCharsets.UTF_8).contains("[DONE]"));
        final List<String[]> events = events(reply.bytes());
        final List<String> names = events.stream().map(e -> e[0]).toList();
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.completed"), names);
        final StringBuilder text = new StringBuilder();
        String id = null;
        for (int i = 0; i < events.size(); i++) {
            final JsonNode data = Json.MAPPER.readTree(events.get(i)[1]);
            assertEquals(events.get(i)[0], data.get("type").asText());
            assertEquals(i, data.get("sequence_number").asInt());
            if (data.has("delta")) {
                text.append(data.get("delta").asText());
            }
            if (data.has("response")) {
                id = id == null ? data.at("/response/id").asText() : id;
                assertEquals(id, data.at("/response/id").asText(), "one response id throughout");
            }
        }
        assertEquals(SimulatedReply.PREFIX + "one two", text.toString());
        final JsonNode completed = Json.MAPPER.readTree(events.getLast()[1]);
        assertEquals(text.toString(), completed.at("/response/output/0/content/0/text").asText());
        assertEquals("completed", completed.at("/response/status").asText());
    }

    @Test
    void shouldSendAnErrorEventAndEndWhenAnErrorIsInjected() throws IOException {
        final ObjectNode body = request("one two").put("stream", true);
        body.putObject("x_sim").put("error_after", 5);

        final List<String[]> events = events(http.call(http.post("/responses", body)).bytes());

        assertEquals(6, events.size());
        assertEquals("error", events.getLast()[0]);
        final JsonNode error = Json.MAPPER.readTree(events.getLast()[1]);
        assertEquals("simulated_error", error.get("code").asText());
        assertEquals(5, error.get("sequence_number").asInt());
    }

    @Test
    void shouldAnswer400WithoutInput() throws IOException {
        final SimulatorHttp.Reply reply = http.call(http.post("/responses", "{\"model\":\"m\"}"));

        assertEquals(400, reply.status());
        assertEquals("input", reply.json().at("/error/param").asText());
    }
}
