package io.llmgw.simulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;

import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The JSON objects of one reply, shaped as OpenAI and vLLM shape them: {@code chat.completion} /
 * {@code chat.completion.chunk} for chat, {@code text_completion} for both kinds of completions replies.
 */
record ReplyShapes(Endpoint endpoint, String id, long created, String model) {

    static ReplyShapes start(final CompletionRequest request) {
        final boolean chat = request.endpoint() == Endpoint.CHAT_COMPLETIONS;
        final byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        return new ReplyShapes(request.endpoint(), (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().formatHex(random),
                Instant.now().getEpochSecond(), request.model());
    }

    /** The non-streaming answer: every choice complete, with usage. */
    ObjectNode completion(final SimulatedReply reply, final int n) {
        final ObjectNode completion = header(chat() ? "chat.completion" : "text_completion");
        final ArrayNode choices = completion.putArray("choices");
        for (int index = 0; index < n; index++) {
            final ObjectNode choice = choices.addObject().put("index", index);
            if (chat()) {
                choice.putObject("message").put("role", "assistant").put("content", reply.text());
            } else {
                choice.put("text", reply.text());
            }
            choice.putNull("logprobs");
            choice.put("finish_reason", reply.finishReason());
        }
        completion.set("usage", usage(reply, n));
        return completion;
    }

    /** One token of one choice; the first chunk of a chat choice announces the assistant role. */
    ObjectNode tokenChunk(final int index, final String token, final boolean first) {
        final ObjectNode chunk = header(chunkObject());
        final ObjectNode choice = chunk.putArray("choices").addObject().put("index", index);
        if (chat()) {
            final ObjectNode delta = choice.putObject("delta");
            if (first) {
                delta.put("role", "assistant");
            }
            delta.put("content", token);
        } else {
            choice.put("text", token);
        }
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return chunk;
    }

    ObjectNode finishChunk(final int index, final String finishReason) {
        final ObjectNode chunk = header(chunkObject());
        final ObjectNode choice = chunk.putArray("choices").addObject().put("index", index);
        if (chat()) {
            choice.putObject("delta");
        } else {
            choice.put("text", "");
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return chunk;
    }

    /** The extra last chunk of {@code stream_options.include_usage}: no choices, only usage. */
    ObjectNode usageChunk(final SimulatedReply reply, final int n) {
        final ObjectNode chunk = header(chunkObject());
        chunk.putArray("choices");
        chunk.set("usage", usage(reply, n));
        return chunk;
    }

    static ObjectNode usage(final SimulatedReply reply, final int n) {
        final int completionTokens = reply.completionTokens() * n;
        return Json.object()
                .put("prompt_tokens", reply.promptTokens())
                .put("completion_tokens", completionTokens)
                .put("total_tokens", reply.promptTokens() + completionTokens);
    }

    static ObjectNode modelList(final List<String> models) {
        final ObjectNode list = Json.object().put("object", "list");
        final ArrayNode data = list.putArray("data");
        final long created = Instant.now().getEpochSecond();
        models.forEach(model -> data.addObject()
                .put("id", model)
                .put("object", "model")
                .put("created", created)
                .put("owned_by", "llmgw-simulator"));
        return list;
    }

    private ObjectNode header(final String object) {
        return Json.object().put("id", id).put("object", object).put("created", created).put("model", model);
    }

    private String chunkObject() {
        return chat() ? "chat.completion.chunk" : "text_completion";
    }

    private boolean chat() {
        return endpoint == Endpoint.CHAT_COMPLETIONS;
    }
}
