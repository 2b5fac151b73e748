package io.llmgw.topology;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestValidationTest {

    @Test
    void shouldAcceptWhenChatRequestHasModelAndMessages() {
        assertEquals(Optional.empty(), RequestValidation.invalidRequest(chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")));
    }

    @Test
    void shouldAcceptWhenCompletionPromptIsStringOrArray() {
        assertEquals(Optional.empty(), RequestValidation.invalidRequest(completion("{\"model\":\"m\",\"prompt\":\"hi\"}")));
        assertEquals(Optional.empty(), RequestValidation.invalidRequest(completion("{\"model\":\"m\",\"prompt\":[1,2,3]}")));
    }

    @Test
    void shouldRejectWhenMessagesAreMissing() {
        assertBadRequest("messages", RequestValidation.invalidRequest(chat("{\"model\":\"m\"}")));
        assertBadRequest("messages", RequestValidation.invalidRequest(chat("{\"model\":\"m\",\"messages\":null}")));
    }

    @Test
    void shouldRejectWhenMessagesAreNotANonEmptyArray() {
        assertBadRequest("messages", RequestValidation.invalidRequest(chat("{\"model\":\"m\",\"messages\":[]}")));
        assertBadRequest("messages", RequestValidation.invalidRequest(chat("{\"model\":\"m\",\"messages\":\"hi\"}")));
    }

    @Test
    void shouldRejectWhenPromptIsMissingOrNotStringOrArray() {
        assertBadRequest("prompt", RequestValidation.invalidRequest(completion("{\"model\":\"m\"}")));
        assertBadRequest("prompt", RequestValidation.invalidRequest(completion("{\"model\":\"m\",\"prompt\":{\"a\":1}}")));
        assertBadRequest("prompt", RequestValidation.invalidRequest(completion("{\"model\":\"m\",\"prompt\":42}")));
    }

    @Test
    void shouldRejectWhenBodyModelIsMissingEmptyOrNotAString() {
        assertBadRequest("model", RequestValidation.invalidRequest(chat("{\"messages\":[{}]}")));
        assertBadRequest("model", RequestValidation.invalidRequest(chat("{\"model\":\"\",\"messages\":[{}]}")));
        assertBadRequest("model", RequestValidation.invalidRequest(chat("{\"model\":\" \",\"messages\":[{}]}")));
        assertBadRequest("model", RequestValidation.invalidRequest(chat("{\"model\":7,\"messages\":[{}]}")));
    }

    @Test
    void shouldRejectWhenBodyModelDiffersFromEnvelopeModel() {
        final Optional<ApiError> error = RequestValidation.invalidRequest(chat("{\"model\":\"other\",\"messages\":[{}]}"));
        assertBadRequest("model", error);
        assertTrue(error.orElseThrow().message().contains("other"), error.orElseThrow().message());
    }

    @Test
    void shouldRejectWhenStreamIsNotABoolean() {
        assertBadRequest("stream", RequestValidation.invalidRequest(chat("{\"model\":\"m\",\"messages\":[{}],\"stream\":\"yes\"}")));
    }

    private static void assertBadRequest(final String param, final Optional<ApiError> error) {
        assertTrue(error.isPresent(), "expected a 400 about " + param);
        assertEquals(400, error.get().status());
        assertEquals("invalid_request_error", error.get().type());
        assertEquals(param, error.get().param());
    }

    private static RequestEnvelope chat(final String body) {
        return envelope(Endpoint.CHAT_COMPLETIONS, body);
    }

    private static RequestEnvelope completion(final String body) {
        return envelope(Endpoint.COMPLETIONS, body);
    }

    private static RequestEnvelope envelope(final Endpoint endpoint, final String body) {
        try {
            return new RequestEnvelope("req_1", endpoint, "m", false, (ObjectNode) Json.MAPPER.readTree(body),
                    0, Long.MAX_VALUE, 0, "gw-1", null, 1, false);
        } catch (final Exception e) {
            throw new IllegalArgumentException(body, e);
        }
    }
}
