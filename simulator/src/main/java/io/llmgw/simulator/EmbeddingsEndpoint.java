package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code POST /v1/embeddings}: one unit vector per input, the same vector for the same text (seeded by the text), so
 * that tests can compare answers. {@code dimensions} sets the length (default {@link #DEFAULT_DIMENSIONS}) and
 * {@code encoding_format: "base64"} sends each vector as little-endian float32 bytes in base64, as OpenAI does.
 */
final class EmbeddingsEndpoint implements Handler {

    static final int DEFAULT_DIMENSIONS = 16;
    private static final int MAX_DIMENSIONS = 4096;

    private final SimulatorStats stats;

    EmbeddingsEndpoint(final SimulatorStats stats) {
        this.stats = stats;
    }

    @Override
    public void handle(final Context ctx) {
        final byte[] raw = ctx.bodyAsBytes();
        final JsonNode body = RecordedCall.parse(raw);
        stats.recordRequest(RecordedCall.record(ctx, raw, body));
        try {
            send(ctx, 200, answer(body));
        } catch (final InvalidRequestException e) {
            send(ctx, e.error().status(), e.error().toJson());
        }
    }

    static ObjectNode answer(final JsonNode body) {
        if (!body.isObject()) {
            throw new InvalidRequestException(ApiError.badRequest("Expected a JSON object.", null));
        }
        final String model = BodyFields.text(body, "model", "model").filter(m -> !m.isBlank())
                .orElseThrow(() -> InvalidRequestException.badField("model", "is required"));
        final int dimensions = (int) BodyFields.longInRange(body, "dimensions", "dimensions", 1, MAX_DIMENSIONS)
                .orElse(DEFAULT_DIMENSIONS);
        final String format = BodyFields.text(body, "encoding_format", "encoding_format").orElse("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw InvalidRequestException.badField("encoding_format", "must be 'float' or 'base64'");
        }
        final List<String> inputs = inputs(body.path("input"));
        final ObjectNode answer = Json.object().put("object", "list");
        final ArrayNode data = answer.putArray("data");
        int tokens = 0;
        for (int index = 0; index < inputs.size(); index++) {
            final float[] vector = vector(inputs.get(index), dimensions);
            final ObjectNode item = data.addObject().put("object", "embedding").put("index", index);
            if (format.equals("base64")) {
                item.put("embedding", base64(vector));
            } else {
                final ArrayNode values = item.putArray("embedding");
                for (final float value : vector) {
                    values.add(value);
                }
            }
            tokens += Math.max(1, inputs.get(index).split("\\s+").length);
        }
        answer.put("model", model);
        answer.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return answer;
    }

    /** The same text always gives the same unit vector. */
    static float[] vector(final String text, final int dimensions) {
        final SplittableRandom random = new SplittableRandom(text.hashCode() * 31L + dimensions);
        final float[] vector = new float[dimensions];
        double norm = 0;
        for (int i = 0; i < dimensions; i++) {
            vector[i] = (float) (random.nextDouble() * 2 - 1);
            norm += vector[i] * vector[i];
        }
        final double length = Math.sqrt(norm);
        for (int i = 0; i < dimensions; i++) {
            vector[i] = (float) (vector[i] / length);
        }
        return vector;
    }

    private static List<String> inputs(final JsonNode input) {
        if (input.isTextual()) {
            return List.of(input.textValue());
        }
        if (!input.isArray() || input.isEmpty()) {
            throw InvalidRequestException.badField("input", "must be a string or a non-empty array");
        }
        if (input.get(0).isNumber()) {
            // one input given as token ids (OpenAI: an array of integers is a single input)
            return List.of(input.toString());
        }
        final List<String> inputs = new ArrayList<>();
        // strings, or token arrays (embedded by their text form)
        input.forEach(item -> inputs.add(item.isTextual() ? item.textValue() : item.toString()));
        return inputs;
    }

    private static String base64(final float[] vector) {
        final ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (final float value : vector) {
            bytes.putFloat(value);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }


    private static void send(final Context ctx, final int status, final JsonNode body) {
        ctx.status(status).contentType(CompletionEndpoint.JSON).result(CompletionEndpoint.jsonBytes(body));
    }
}
