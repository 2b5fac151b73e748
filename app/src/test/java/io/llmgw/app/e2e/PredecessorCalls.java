package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.llmgw.schemas.Json;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The four calls of the predecessor's client script (chat and completions, sync and streaming, model
 * {@code Qwen/Qwen2.5-72B-Instruct-AWQ}, Cyrillic messages), made with the official OpenAI Java SDK through the
 * gateway, each checked token for token against the same request sent straight to the LLM host.
 */
final class PredecessorCalls {

    static final String SYSTEM = "Ты помощник.";
    static final String USER = "Привет, как дела?";
    static final String PROMPT = "Расскажи сказку про Kafka";

    private final OpenAIClient client;
    private final String hostBaseUrl;

    PredecessorCalls(final OpenAIClient client, final String hostBaseUrl) {
        this.client = client;
        this.hostBaseUrl = hostBaseUrl;
    }

    static ChatCompletionCreateParams chat(final String model, final String user) {
        return ChatCompletionCreateParams.builder()
                .model(model)
                .addSystemMessage(SYSTEM)
                .addUserMessage(user)
                .temperature(0.7)
                .build();
    }

    static String chatJson(final String model, final String user, final boolean stream) {
        final var body = Json.object().put("model", model).put("temperature", 0.7).put("stream", stream);
        final var messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", SYSTEM);
        messages.addObject().put("role", "user").put("content", user);
        return body.toString();
    }

    void chatSync(final String model) throws Exception {
        final ChatCompletion completion = client.chat().completions().create(chat(model, USER));
        final JsonNode direct = Http.post(hostBaseUrl + "/chat/completions", chatJson(model, USER, false)).json();

        final String expected = direct.at("/choices/0/message/content").asText();
        assertFalse(expected.isEmpty(), "the host answered with content");
        assertEquals(expected, completion.choices().getFirst().message().content().orElseThrow());
        assertEquals(direct.at("/choices/0/finish_reason").asText(),
                completion.choices().getFirst().finishReason().asString());
        assertEquals(direct.at("/usage/total_tokens").asLong(), completion.usage().orElseThrow().totalTokens());
    }

    void chatStream(final String model) throws Exception {
        assertEquals(directChatDeltas(model, USER), streamedChatDeltas(client, model, USER));
    }

    List<String> directChatDeltas(final String model, final String user) throws Exception {
        final List<String> deltas = new ArrayList<>();
        final List<String> data = Http.postForSseData(hostBaseUrl + "/chat/completions", chatJson(model, user, true));
        assertEquals("[DONE]", data.getLast());
        for (final String event : data.subList(0, data.size() - 1)) {
            final JsonNode content = Json.MAPPER.readTree(event).at("/choices/0/delta/content");
            if (!content.isMissingNode() && !content.isNull()) {
                deltas.add(content.asText());
            }
        }
        assertTrue(deltas.size() > 1, "the host streamed several tokens: " + deltas);
        return deltas;
    }

    static List<String> streamedChatDeltas(final OpenAIClient client, final String model, final String user) {
        final List<String> deltas = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(model, user))) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(choice ->
                    choice.delta().content().ifPresent(deltas::add)));
        }
        return deltas;
    }

    void completionSync(final String model) throws Exception {
        final Completion completion = client.completions().create(CompletionCreateParams.builder()
                .model(model).prompt(PROMPT).temperature(0.7).build());
        final String body = Json.object().put("model", model).put("prompt", PROMPT).put("temperature", 0.7).toString();
        final JsonNode direct = Http.post(hostBaseUrl + "/completions", body).json();

        final String expected = direct.at("/choices/0/text").asText();
        assertFalse(expected.isEmpty());
        assertEquals(expected, completion.choices().getFirst().text());
    }

    void completionStream(final String model) throws Exception {
        final List<String> streamed = new ArrayList<>();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(CompletionCreateParams.builder()
                .model(model).prompt(PROMPT).temperature(0.7).build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> streamed.add(choice.text())));
        }
        final String body = Json.object().put("model", model).put("prompt", PROMPT).put("stream", true).toString();
        final List<String> expected = new ArrayList<>();
        final List<String> data = Http.postForSseData(hostBaseUrl + "/completions", body);
        for (final String event : data.subList(0, data.size() - 1)) {
            final JsonNode text = Json.MAPPER.readTree(event).at("/choices/0/text");
            if (!text.isMissingNode()) {
                expected.add(text.asText());
            }
        }
        assertTrue(expected.size() > 1);
        assertEquals(expected, streamed);
    }
}
