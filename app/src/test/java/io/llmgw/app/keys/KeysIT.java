package io.llmgw.app.keys;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.llmgw.app.e2e.E2eStack;
import io.llmgw.gateway.GatewayServer;
import io.llmgw.settings.KafkaClientProps;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Managed keys end to end: {@code keys create} on a real broker, two gateway instances that both follow the table,
 * the official SDK as the client, on the {@link KeyedStack} it shares with {@code LimitsIT}.
 */
class KeysIT {

    private static E2eStack stack;
    private static GatewayServer second;

    @BeforeAll
    static void start() throws InterruptedException {
        final KeyedStack keyed = KeyedStack.shared();
        stack = keyed.stack;
        second = keyed.second;
    }

    @Test
    void shouldLetAKeySeeAndCallOnlyItsModelsOnEveryGatewayUntilItIsRevoked() {
        final String secret = lastLine(keys("create", "--name", "team-gpt", "--models", "gpt-*", "--priority", "low"));
        final List<OpenAIClient> gateways = List.of(client(stack.gatewayUrl(), secret),
                client("http://127.0.0.1:" + second.port() + "/v1", secret));

        for (final OpenAIClient gateway : gateways) {
            // the second gateway may read the new key a moment after the command returned
            await().atMost(Duration.ofSeconds(2)).ignoreExceptions().until(() ->
                    gateway.models().list().data().stream().map(m -> m.id()).toList().equals(List.of(E2eStack.GPT)));
            assertFalse(gateway.chat().completions().create(chat(E2eStack.GPT)).choices().isEmpty());
            assertThrows(NotFoundException.class, () -> gateway.chat().completions().create(chat(E2eStack.QWEN)));
        }
        assertThrows(UnauthorizedException.class, () -> client(stack.gatewayUrl(), "sk-wrong").models().list());
        assertThrows(UnauthorizedException.class, () -> client(stack.gatewayUrl(), secret.substring(0,
                secret.length() - 2) + "xx").models().list());

        keys("revoke", "team-gpt");
        final long revokedNanos = System.nanoTime();
        for (final OpenAIClient gateway : gateways) {
            await().atMost(Duration.ofSeconds(2)).until(() -> {
                try {
                    gateway.models().list();
                    return false;
                } catch (final UnauthorizedException e) {
                    return e.getMessage().contains("revoked");
                }
            });
        }
        System.out.printf("KeysIT: revocation refused by both gateways %d ms after keys revoke returned%n",
                (System.nanoTime() - revokedNanos) / 1_000_000);
        assertTrue(keys("list").contains("revoked"));
        assertFalse(keys("list").contains(secret.substring(26)), "list never shows a secret");
    }

    @Test
    void shouldHideOneKeysRequestsFromAnotherKey() throws Exception {
        final String owner = lastLine(keys("create", "--name", "owner"));
        final String other = lastLine(keys("create", "--name", "other"));
        try (HttpClient http = HttpClient.newHttpClient()) {
            await().atMost(Duration.ofSeconds(2)).until(() -> status(http, get("/models", other)) == 200);
            final HttpResponse<String> accepted = http.send(HttpRequest.newBuilder(
                            URI.create(stack.gatewayUrl() + "/chat/completions"))
                    .header("Authorization", "Bearer " + owner).header("Prefer", "respond-async")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + E2eStack.GPT
                            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"mine\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, accepted.statusCode(), accepted.body());
            final String id = io.llmgw.schemas.Json.MAPPER.readTree(accepted.body()).path("id").asText();

            await().atMost(Duration.ofSeconds(30)).until(() -> status(http, get("/requests/" + id, owner)) == 200);
            assertEquals(404, status(http, get("/requests/" + id, other)));
            assertEquals(404, status(http, get("/requests/" + id + "/events", other)));
        }
    }

    private static HttpRequest get(final String path, final String key) {
        return HttpRequest.newBuilder(URI.create(stack.gatewayUrl() + path)).header("Authorization", "Bearer " + key)
                .GET().build();
    }

    private static int status(final HttpClient http, final HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void shouldRefuseABadNameAndAnUnknownKeyWithExitStatusTwo() {
        assertEquals(2, KeysCommand.run(stack.settings(), List.of("create", "--name", "has space"), quiet(), quiet()));
        assertEquals(2, KeysCommand.run(stack.settings(), List.of("revoke", "nobody"), quiet(), quiet()));
        assertEquals(2, KeysCommand.run(stack.settings(), List.of("create", "--name", "x", "--rpm", "many"), quiet(),
                quiet()));
    }

    private static String keys(final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int status = KeysCommand.run(stack.settings(), List.of(args),
                new PrintStream(out, true, StandardCharsets.UTF_8), quiet());
        assertEquals(0, status, "keys " + String.join(" ", args));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String lastLine(final String text) {
        final List<String> lines = text.strip().lines().toList();
        return lines.getLast();
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    private static OpenAIClient client(final String baseUrl, final String key) {
        return OpenAIOkHttpClient.builder().apiKey(key).baseUrl(baseUrl).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    private static ChatCompletionCreateParams chat(final String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("hello").build();
    }
}
