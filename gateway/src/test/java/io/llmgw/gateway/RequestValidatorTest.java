package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestValidatorTest {

    private final RequestValidator validator = new RequestValidator(FakeModels.of("gpt-4o", "Qwen/Qwen2.5-72B"));

    private RequestValidator.Outcome validate(final Endpoint endpoint, final String body) {
        return validator.validate(endpoint, body.getBytes(StandardCharsets.UTF_8));
    }

    private ApiError rejection(final Endpoint endpoint, final String body) {
        return assertInstanceOf(RequestValidator.Outcome.Rejected.class, validate(endpoint, body)).error();
    }

    @Test
    void shouldKeepTheBodyUnchangedWhenAChatRequestIsValid() throws Exception {
        final String body = """
                {"model":"Qwen/Qwen2.5-72B","messages":[{"role":"user","content":"hi"}],"temperature":0.70,
                 "seed":123456789012345678901234567890,"tools":[{"type":"function"}],"x_unknown":{"a":[1,2]},
                 "stream":true}""";

        final var accepted = assertInstanceOf(RequestValidator.Outcome.Accepted.class,
                validate(Endpoint.CHAT_COMPLETIONS, body));

        assertEquals("Qwen/Qwen2.5-72B", accepted.model());
        assertTrue(accepted.stream());
        assertEquals(Json.MAPPER.readTree(body), accepted.body());
        assertEquals("0.70", accepted.body().get("temperature").toString());
        assertEquals("123456789012345678901234567890", accepted.body().get("seed").toString());
    }

    @Test
    void shouldBuildTheFirstAttemptEnvelopeWhenStamped() {
        final var accepted = assertInstanceOf(RequestValidator.Outcome.Accepted.class,
                validate(Endpoint.COMPLETIONS, "{\"model\":\"gpt-4o\",\"prompt\":\"say hi\"}"));

        final RequestEnvelope envelope = accepted.envelope("req_x",
                new RequestValidator.RequestStamp(1_000, 61_000, 3, "gw-1", "key_abc"));

        assertEquals(new RequestEnvelope("req_x", Endpoint.COMPLETIONS, "gpt-4o", false, accepted.body(), 1_000,
                61_000, 3, "gw-1", "key_abc", 1, false), envelope);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "not json", "{\"model\":\"gpt-4o\"} trailing", "[1,2]", "\"text\"", "42",
            "null"})
    void shouldAnswer400WhenTheBodyIsNotAJsonObject(final String body) {
        final ApiError error = rejection(Endpoint.CHAT_COMPLETIONS, body);

        assertEquals(400, error.status());
        assertEquals("invalid_request_error", error.type());
        assertNull(error.param());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}                 | model",
            "{\"model\":null,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}  | model",
            "{\"model\":42,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}    | model",
            "{\"model\":\" \",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | model",
            "{\"model\":\"gpt-4o\"}                                                  | messages",
            "{\"model\":\"gpt-4o\",\"messages\":[]}                                  | messages",
            "{\"model\":\"gpt-4o\",\"messages\":\"hi\"}                              | messages",
            "{\"model\":\"gpt-4o\",\"messages\":[{}],\"stream\":\"yes\"}             | stream",
            "{\"model\":\"gpt-4o\",\"messages\":[{}],\"stream\":1}                   | stream"})
    void shouldAnswer400NamingTheParamWhenAChatFieldIsWrong(final String body, final String param) {
        final ApiError error = rejection(Endpoint.CHAT_COMPLETIONS, body);

        assertEquals(400, error.status());
        assertEquals(param, error.param());
        assertFalse(error.message().isBlank());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"model\":\"gpt-4o\"}", "{\"model\":\"gpt-4o\",\"prompt\":null}",
            "{\"model\":\"gpt-4o\",\"prompt\":{\"text\":\"hi\"}}", "{\"model\":\"gpt-4o\",\"prompt\":7}"})
    void shouldAnswer400NamingPromptWhenACompletionHasNoUsablePrompt(final String body) {
        final ApiError error = rejection(Endpoint.COMPLETIONS, body);

        assertEquals(400, error.status());
        assertEquals("prompt", error.param());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"hi\"", "[\"a\",\"b\"]", "[1,2,3]"})
    void shouldAcceptAPromptWhenItIsAStringOrAnArray(final String prompt) {
        assertInstanceOf(RequestValidator.Outcome.Accepted.class,
                validate(Endpoint.COMPLETIONS, "{\"model\":\"gpt-4o\",\"prompt\":" + prompt + "}"));
    }

    @Test
    void shouldTreatNullStreamAsFalseWhenTheClientSendsIt() {
        final var accepted = assertInstanceOf(RequestValidator.Outcome.Accepted.class,
                validate(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"gpt-4o\",\"messages\":[{}],\"stream\":null}"));

        assertFalse(accepted.stream());
    }

    @Test
    void shouldAnswer404WhenTheModelIsUnknown() {
        final ApiError error = rejection(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"gpt-5\",\"messages\":[{}]}");

        assertEquals(ApiError.modelNotFound("gpt-5"), error);
    }

    @Test
    void shouldAnswer503NotAn404WhenTheModelListIsStillLoading() {
        final FakeModels loading = FakeModels.of("gpt-4o");
        loading.loaded(false);

        final var outcome = new RequestValidator(loading).validate(Endpoint.CHAT_COMPLETIONS,
                "{\"model\":\"gpt-5\",\"messages\":[{}]}".getBytes(StandardCharsets.UTF_8));

        assertEquals(503, assertInstanceOf(RequestValidator.Outcome.Rejected.class, outcome).error().status());
    }

    @Test
    void shouldReportTheBodyProblemBeforeTheUnknownModelWhenBothAreWrong() {
        final ApiError error = rejection(Endpoint.CHAT_COMPLETIONS, "{\"model\":\"gpt-5\",\"messages\":[]}");

        assertEquals(400, error.status());
        assertEquals("messages", error.param());
    }
}
