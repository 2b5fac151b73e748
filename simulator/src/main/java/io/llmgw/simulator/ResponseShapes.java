package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;

import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The JSON of one Responses API reply, shaped as OpenAI documents it (and vLLM serves it): the {@code response}
 * object and the typed stream events, one message output item with one {@code output_text} part. Each event carries
 * its {@code type} and {@code sequence_number}, counted here from 0.
 *
 * @param id       the response id ({@code resp_...}), as a host mints it
 * @param itemId   the id of the message output item ({@code msg_...})
 * @param created  {@code created_at}, epoch seconds
 * @param model    the model asked for
 * @param request  the client's body, echoed where OpenAI echoes it ({@code instructions}, {@code metadata}, ...)
 */
record ResponseShapes(String id, String itemId, long created, String model, JsonNode request) {

    static ResponseShapes start(final String model, final JsonNode request) {
        return new ResponseShapes("resp_" + random(), "msg_" + random(), Instant.now().getEpochSecond(), model,
                request);
    }

    /** The response object with {@code status}; {@code text} is the output so far, null for none. */
    ObjectNode response(final String status, final String text, final SimulatedReply reply) {
        final ObjectNode response = Json.object()
                .put("id", id)
                .put("object", "response")
                .put("created_at", created)
                .put("status", status);
        response.putNull("background");
        response.putNull("error");
        if ("incomplete".equals(status)) {
            response.putObject("incomplete_details").put("reason", "max_output_tokens");
        } else {
            response.putNull("incomplete_details");
        }
        response.set("instructions", request.path("instructions").isMissingNode() ? Json.MAPPER.nullNode()
                : request.get("instructions"));
        response.set("max_output_tokens", request.path("max_output_tokens").isMissingNode() ? Json.MAPPER.nullNode()
                : request.get("max_output_tokens"));
        response.set("metadata", request.path("metadata").isObject() ? request.get("metadata") : Json.object());
        response.put("model", model);
        final ArrayNode output = response.putArray("output");
        if (text != null) {
            output.add(item("completed", text));
        }
        response.put("parallel_tool_calls", true);
        response.putNull("previous_response_id");
        response.putObject("reasoning").putNull("effort").putNull("summary");
        response.put("store", request.path("store").asBoolean(true));
        response.put("temperature", request.path("temperature").asDouble(1.0));
        response.putObject("text").putObject("format").put("type", "text");
        response.put("tool_choice", "auto");
        response.putArray("tools");
        response.put("top_p", request.path("top_p").asDouble(1.0));
        response.put("truncation", "disabled");
        if (reply != null) {
            final ObjectNode usage = response.putObject("usage");
            usage.put("input_tokens", reply.promptTokens());
            usage.putObject("input_tokens_details").put("cached_tokens", 0);
            usage.put("output_tokens", reply.completionTokens());
            usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
            usage.put("total_tokens", reply.promptTokens() + reply.completionTokens());
        } else {
            response.putNull("usage");
        }
        response.putNull("user");
        return response;
    }

    /** The finished response object: {@code incomplete} when a token cap cut the reply short. */
    ObjectNode finished(final SimulatedReply reply) {
        return response(finalStatus(reply), reply.text(), reply);
    }

    static String finalStatus(final SimulatedReply reply) {
        return SimulatedReply.FINISH_LENGTH.equals(reply.finishReason()) ? "incomplete" : "completed";
    }

    /** The assistant message item; {@code text} null while it has no content part yet. */
    ObjectNode item(final String status, final String text) {
        final ObjectNode item = Json.object().put("id", itemId).put("type", "message").put("status", status)
                .put("role", "assistant");
        final ArrayNode content = item.putArray("content");
        if (text != null) {
            content.add(part(text));
        }
        return item;
    }

    static ObjectNode part(final String text) {
        final ObjectNode part = Json.object().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        return part;
    }

    /** An event with {@code type} and {@code sequence_number}; the caller adds the event's own fields. */
    static ObjectNode event(final String type, final long sequenceNumber) {
        return Json.object().put("type", type).put("sequence_number", sequenceNumber);
    }

    /** An event about the output text part: {@code item_id}, {@code output_index}, {@code content_index}. */
    ObjectNode partEvent(final String type, final long sequenceNumber) {
        return event(type, sequenceNumber).put("item_id", itemId).put("output_index", 0).put("content_index", 0);
    }

    private static String random() {
        final byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
