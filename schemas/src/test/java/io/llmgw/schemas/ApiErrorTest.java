package io.llmgw.schemas;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiErrorTest {

    @Test
    void shouldRenderTheOpenAiErrorShapeWithNullParamAndCode() {
        final String json = ApiError.badRequest("bad", null).toJson().toString();
        assertEquals("{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}",
                json);
    }

    @Test
    void shouldReadAnUpstreamOpenAiErrorBody() throws Exception {
        final ApiError error = ApiError.fromBody(429, Json.MAPPER.readTree(
                "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\",\"code\":\"rate_limit_exceeded\"}}"),
                "fallback");
        assertEquals(new ApiError(429, "slow down", "rate_limit_error", null, "rate_limit_exceeded"), error);
    }

    @Test
    void shouldFallBackWhenTheUpstreamBodyIsNotAnOpenAiError() throws Exception {
        assertEquals("fallback", ApiError.fromBody(502, null, "fallback").message());
        assertEquals("gone", ApiError.fromBody(500, Json.MAPPER.readTree("{\"error\":\"gone\"}"), "x").message());
        assertEquals("vllm says", ApiError.fromBody(400, Json.MAPPER.readTree("{\"message\":\"vllm says\"}"), "x").message());
    }

    @Test
    void shouldNameTheModelInModelNotFound() {
        final ApiError error = ApiError.modelNotFound("gpt-9");
        assertEquals(404, error.status());
        assertEquals("model_not_found", error.code());
        assertTrue(error.message().contains("gpt-9"));
    }
}
