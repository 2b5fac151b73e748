package io.llmgw.schemas;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompletionBodyTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
            "{\"model\":\"m\",\"messages\":[{}],\"stream\":true}",
            "{\"model\":\"m\",\"messages\":[{}],\"stream\":null}",
            "{\"model\":\"m\",\"messages\":[{}],\"tools\":[],\"x_unknown\":7}"})
    void shouldFindNoProblemWhenAChatBodyIsUsable(final String body) {
        assertEquals(Optional.empty(), CompletionBody.problem(Endpoint.CHAT_COMPLETIONS, object(body)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"hi\"", "[\"a\",\"b\"]", "[1,2,3]"})
    void shouldFindNoProblemWhenAPromptIsAStringOrAnArray(final String prompt) {
        assertEquals(Optional.empty(),
                CompletionBody.problem(Endpoint.COMPLETIONS, object("{\"model\":\"m\",\"prompt\":" + prompt + "}")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "CHAT_COMPLETIONS | {\"messages\":[{}]}                           | model",
            "CHAT_COMPLETIONS | {\"model\":null,\"messages\":[{}]}            | model",
            "CHAT_COMPLETIONS | {\"model\":42,\"messages\":[{}]}              | model",
            "CHAT_COMPLETIONS | {\"model\":\" \",\"messages\":[{}]}           | model",
            "CHAT_COMPLETIONS | {\"model\":\"m\"}                             | messages",
            "CHAT_COMPLETIONS | {\"model\":\"m\",\"messages\":null}           | messages",
            "CHAT_COMPLETIONS | {\"model\":\"m\",\"messages\":[]}             | messages",
            "CHAT_COMPLETIONS | {\"model\":\"m\",\"messages\":\"hi\"}         | messages",
            "CHAT_COMPLETIONS | {\"model\":\"m\",\"messages\":[{}],\"stream\":1} | stream",
            "COMPLETIONS      | {\"model\":\"m\"}                             | prompt",
            "COMPLETIONS      | {\"model\":\"m\",\"prompt\":{\"a\":1}}        | prompt",
            "COMPLETIONS      | {\"model\":\"m\",\"prompt\":42}               | prompt",
            "COMPLETIONS      | {\"model\":\"m\",\"prompt\":\"hi\",\"stream\":\"yes\"} | stream",
            "EMBEDDINGS       | {\"model\":\"m\"}                             | input",
            "EMBEDDINGS       | {\"model\":\"m\",\"input\":{\"a\":1}}         | input",
            "EMBEDDINGS       | {\"model\":\"m\",\"input\":7}                | input",
            "RESPONSES        | {\"model\":\"m\"}                             | input",
            "RESPONSES        | {\"model\":\"m\",\"input\":{\"a\":1}}         | input",
            "RESPONSES        | {\"model\":\"m\",\"input\":\"hi\",\"background\":\"yes\"} | background",
            "RESPONSES        | {\"model\":\"m\",\"input\":\"hi\",\"stream\":1} | stream"})
    void shouldAnswer400NamingTheFieldWhenAFieldIsWrong(final Endpoint endpoint, final String body,
                                                        final String param) {
        final ApiError error = CompletionBody.problem(endpoint, object(body)).orElseThrow();

        assertEquals(400, error.status());
        assertEquals("invalid_request_error", error.type());
        assertEquals(param, error.param());
        assertFalse(error.message().isBlank());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"hi\"", "[\"a\",\"b\"]", "[[1,2],[3]]"})
    void shouldFindNoProblemWhenEmbeddingsInputIsAStringOrAnArray(final String input) {
        assertEquals(Optional.empty(), CompletionBody.problem(Endpoint.EMBEDDINGS,
                object("{\"model\":\"m\",\"input\":" + input + ",\"dimensions\":8,\"stream\":false}")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"hi\"", "[{\"role\":\"user\",\"content\":\"hi\"}]"})
    void shouldFindNoProblemWhenAResponsesInputIsAStringOrItemsAndItStreamsInTheBackground(final String input) {
        assertEquals(Optional.empty(), CompletionBody.problem(Endpoint.RESPONSES,
                object("{\"model\":\"m\",\"input\":" + input + ",\"stream\":true,\"background\":true}")));
    }

    @Test
    void shouldAnswer400NamingStreamWhenEmbeddingsAskToStream() {
        final ApiError error = CompletionBody.problem(Endpoint.EMBEDDINGS,
                object("{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}")).orElseThrow();

        assertEquals(400, error.status());
        assertEquals("stream", error.param());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"messages\":[]}                  | model",
            "{\"model\":\"m\",\"messages\":[],\"stream\":1} | messages"})
    void shouldReportTheModelFirstThenTheRequiredFieldThenStreamWhenSeveralAreWrong(final String body,
                                                                                   final String param) {
        assertEquals(param, CompletionBody.problem(Endpoint.CHAT_COMPLETIONS, object(body)).orElseThrow().param());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"[1] | an array", "{} | an object", "\"x\" | a string", "1.5 | a number",
            "true | a boolean", "null | null"})
    void shouldNameTheKindOfAValueWhenDescribingIt(final String json, final String kind) throws Exception {
        assertEquals(kind, CompletionBody.kind(Json.MAPPER.readTree(json)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"model\":\"m\",\"messages\":\"hi\"}", "{\"model\":7,\"messages\":[{}]}"})
    void shouldSayWhatWasSentWhenATypeIsWrong(final String body) {
        final String message = CompletionBody.problem(Endpoint.CHAT_COMPLETIONS, object(body)).orElseThrow().message();
        assertTrue(message.contains("not a string") || message.contains("not a number"), message);
    }

    private static ObjectNode object(final String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (final Exception e) {
            throw new IllegalArgumentException(json, e);
        }
    }
}
