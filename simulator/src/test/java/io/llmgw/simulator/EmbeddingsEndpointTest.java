package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EmbeddingsEndpointTest {

    @Test
    void shouldAnswerOneVectorPerInputWithTheAskedDimensionsWhenInputIsAnArray() throws IOException {
        final JsonNode answer = EmbeddingsEndpoint.answer(
                Json.MAPPER.readTree("{\"model\":\"m\",\"input\":[\"a\",\"b c\"],\"dimensions\":5}"));

        assertEquals("list", answer.path("object").asText());
        assertEquals(2, answer.path("data").size());
        assertEquals(1, answer.path("data").get(1).path("index").asInt());
        assertEquals("embedding", answer.path("data").get(0).path("object").asText());
        assertEquals(5, answer.path("data").get(0).path("embedding").size());
        assertEquals(3, answer.path("usage").path("prompt_tokens").asInt());
        assertNotEquals(answer.path("data").get(0).path("embedding"), answer.path("data").get(1).path("embedding"));
    }

    @Test
    void shouldAnswerTheSameVectorWhenTheTextIsTheSame() throws IOException {
        final JsonNode first = EmbeddingsEndpoint.answer(Json.MAPPER.readTree("{\"model\":\"m\",\"input\":\"hi\"}"));
        final JsonNode second = EmbeddingsEndpoint.answer(Json.MAPPER.readTree("{\"model\":\"x\",\"input\":[\"hi\"]}"));

        assertEquals(EmbeddingsEndpoint.DEFAULT_DIMENSIONS, first.path("data").get(0).path("embedding").size());
        assertEquals(first.path("data").get(0).path("embedding"), second.path("data").get(0).path("embedding"));
    }

    @Test
    void shouldSendLittleEndianFloatsInBase64WhenTheEncodingFormatIsBase64() throws IOException {
        final JsonNode answer = EmbeddingsEndpoint.answer(Json.MAPPER.readTree(
                "{\"model\":\"m\",\"input\":\"hi\",\"encoding_format\":\"base64\",\"dimensions\":3}"));

        final ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(
                answer.path("data").get(0).path("embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(12, bytes.remaining());
        final float[] expected = EmbeddingsEndpoint.vector("hi", 3);
        for (final float value : expected) {
            assertEquals(value, bytes.getFloat());
        }
    }

    @Test
    void shouldEmbedAFlatTokenArrayAsOneInputAndEachTokenArrayOfAnArrayAsOne() throws IOException {
        final JsonNode tokens = EmbeddingsEndpoint.answer(Json.MAPPER.readTree("{\"model\":\"m\",\"input\":[1,2,3]}"));
        final JsonNode arrays = EmbeddingsEndpoint.answer(
                Json.MAPPER.readTree("{\"model\":\"m\",\"input\":[[1,2,3],[4]]}"));

        assertEquals(1, tokens.path("data").size());
        assertEquals(2, arrays.path("data").size());
        assertEquals(tokens.path("data").get(0).path("embedding"), arrays.path("data").get(0).path("embedding"));
    }

    @Test
    void shouldAnswer400WhenInputIsMissing() {
        final InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> EmbeddingsEndpoint.answer(Json.MAPPER.readTree("{\"model\":\"m\"}")));
        assertEquals("input", e.error().param());
    }
}
