package io.llmgw.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RawJsonNode;

import java.nio.charset.StandardCharsets;

/** Writes JSON answers with the project's one mapper. */
final class JsonResponse {

    static final String CONTENT_TYPE = "application/json";

    private JsonResponse() {
    }

    static void send(final Context ctx, final int status, final JsonNode body) {
        ctx.status(status).contentType(CONTENT_TYPE).result(bytes(body));
    }

    static void error(final Context ctx, final ApiError error) {
        send(ctx, error.status(), error.toJson());
    }

    static byte[] bytes(final JsonNode body) {
        if (body instanceof RawJsonNode raw) {
            return raw.json().getBytes(StandardCharsets.UTF_8); // a relayed chunk: its text is the JSON
        }
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (final JsonProcessingException e) {
            // a tree made of JSON nodes always serializes; this is a bug, not an input problem
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
