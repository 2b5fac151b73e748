package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.NotFoundException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.Embedding;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.llmgw.simulator.LlmSimulator;
import io.llmgw.simulator.ReceivedRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /v1/embeddings} with the official SDK through the whole Kafka path (gateway, router, the model's topic,
 * its worker, the simulator as host): every input shape, {@code encoding_format} and {@code dimensions} reach the host
 * unchanged and its vectors come back as it computed them (compared with the same call made to the host directly).
 */
class EmbeddingsIT {

    private static E2eStack stack;
    private static LlmSimulator host;
    private static OpenAIClient viaGateway;
    private static OpenAIClient direct;

    @BeforeAll
    static void startStack() {
        stack = E2eStack.shared();
        host = stack.stack().simulator();
        viaGateway = stack.client();
        direct = OpenAIOkHttpClient.builder().apiKey("token").baseUrl(host.baseUrl()).maxRetries(0).build();
    }

    private static EmbeddingCreateParams.Builder params(final String key, final EmbeddingCreateParams.Input input) {
        return EmbeddingCreateParams.builder().model(E2eStack.QWEN).input(input)
                .putAdditionalBodyProperty("x_sim", JsonValue.from(Map.of("key", key)));
    }

    private static List<List<Float>> vectors(final CreateEmbeddingResponse response) {
        return response.data().stream().map(Embedding::embedding).toList();
    }

    private static JsonNode receivedBody(final String key) {
        return host.recentRequests().stream()
                .filter(r -> r.path().endsWith("/embeddings") && key.equals(r.simKey().orElse(null)))
                .reduce((first, second) -> second).map(ReceivedRequest::body).orElseThrow();
    }

    @Test
    void shouldEmbedOneStringAsTheHostDoes() {
        final EmbeddingCreateParams params = params("emb-string", EmbeddingCreateParams.Input.ofString("Привет, мир"))
                .build();

        final CreateEmbeddingResponse response = viaGateway.embeddings().create(params);

        assertEquals(1, response.data().size());
        assertEquals(vectors(direct.embeddings().create(params)), vectors(response));
        assertEquals("Привет, мир", receivedBody("emb-string").get("input").asText());
    }

    @Test
    void shouldEmbedAnArrayOfStringsInOrder() {
        final EmbeddingCreateParams params = params("emb-array",
                EmbeddingCreateParams.Input.ofArrayOfStrings(List.of("one", "two", "three"))).build();

        final CreateEmbeddingResponse response = viaGateway.embeddings().create(params);

        assertEquals(List.of(0L, 1L, 2L), response.data().stream().map(Embedding::index).toList());
        assertEquals(vectors(direct.embeddings().create(params)), vectors(response));
        assertTrue(!response.data().get(0).embedding().equals(response.data().get(1).embedding()),
                "different texts, different vectors");
    }

    @Test
    void shouldPassTokenArraysToTheHostUnchanged() {
        final EmbeddingCreateParams tokens = params("emb-tokens",
                EmbeddingCreateParams.Input.ofArrayOfTokens(List.of(9906L, 11L, 1917L))).build();
        final EmbeddingCreateParams tokenArrays = params("emb-token-arrays",
                EmbeddingCreateParams.Input.ofArrayOfTokenArrays(List.of(List.of(1L, 2L), List.of(3L)))).build();

        assertEquals(1, viaGateway.embeddings().create(tokens).data().size());
        assertEquals(2, viaGateway.embeddings().create(tokenArrays).data().size());

        assertEquals("[9906,11,1917]", receivedBody("emb-tokens").get("input").toString());
        assertEquals("[[1,2],[3]]", receivedBody("emb-token-arrays").get("input").toString());
    }

    @Test
    void shouldPassDimensionsAndBase64EncodingThrough() {
        final EmbeddingCreateParams params = params("emb-base64", EmbeddingCreateParams.Input.ofString("base64 me"))
                .dimensions(8).encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build();

        final CreateEmbeddingResponse response = viaGateway.embeddings().create(params);

        final JsonNode received = receivedBody("emb-base64");
        assertEquals(8, received.get("dimensions").asInt());
        assertEquals("base64", received.get("encoding_format").asText());
        final String encoded = response.data().get(0).embeddingValue().asBase64();
        final ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(8 * Float.BYTES, bytes.remaining(), "8 float32 values");
        double norm = 0;
        while (bytes.hasRemaining()) {
            final float value = bytes.getFloat();
            norm += value * value;
        }
        assertEquals(1.0, norm, 1e-4, "the simulator's unit vector, decoded intact");
        assertEquals(direct.embeddings().create(params).data().get(0).embeddingValue().asBase64(), encoded);
    }

    @Test
    void shouldAnswerAnUnknownModelWithNotFound() {
        final NotFoundException e = assertThrows(NotFoundException.class, () -> viaGateway.embeddings().create(
                EmbeddingCreateParams.builder().model("no-such-embedder").input("hi").build()));

        assertEquals(404, e.statusCode());
        assertTrue(e.getMessage().contains("no-such-embedder"), e.getMessage());
    }
}
