package io.llmgw.processors;

import io.llmgw.settings.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelCatalogTest {

    @TempDir
    Path dir;

    private Settings settingsWithFile(final String json, final Map<String, String> extra) throws IOException {
        final Path file = dir.resolve("models.json");
        Files.writeString(file, json);
        final Map<String, String> values = new HashMap<>(extra);
        values.put("MODELS_FILE", file.toString());
        return Settings.of(values);
    }

    @Test
    void shouldReadModelsWithOverridesAndDefaultsWhenModelsFileIsSet() throws IOException {
        final Settings settings = settingsWithFile("""
                {"models": [
                  {"name": "Qwen/Qwen2.5-72B-Instruct-AWQ", "host": "http://gpu-1:8000/v1/", "token_env": "QWEN_TOKEN",
                   "concurrency": 8, "first_token_timeout": 30, "retry_backoff": 0.5},
                  {"name": "gpt-4o-mini", "host": "https://api.openai.com/v1", "token": "sk-x",
                   "upstream_model": "gpt-4o-mini-2024-07-18"}
                ]}""", Map.of("QWEN_TOKEN", "secret", "WORKER_IDLE_TIMEOUT", "7.5", "WORKER_MAX_ATTEMPTS", "2"));

        final List<ModelSpec> models = ModelCatalog.load(settings);

        assertEquals(2, models.size());
        final ModelSpec qwen = models.get(0);
        assertEquals("Qwen/Qwen2.5-72B-Instruct-AWQ", qwen.name());
        assertEquals("http://gpu-1:8000/v1", qwen.baseUrl());
        assertEquals("secret", qwen.token());
        assertNull(qwen.upstreamModel());
        assertEquals(8, qwen.concurrency());
        assertEquals(Duration.ofSeconds(30), qwen.firstTokenTimeout());
        assertEquals(Duration.ofMillis(7500), qwen.idleTimeout());
        assertEquals(Duration.ofSeconds(600), qwen.totalTimeout());
        assertEquals(2, qwen.maxAttempts());
        assertEquals(Duration.ofMillis(500), qwen.retryBackoff());
        final ModelSpec gpt = models.get(1);
        assertEquals("sk-x", gpt.token());
        assertEquals("gpt-4o-mini-2024-07-18", gpt.upstreamModel());
        assertEquals(64, gpt.concurrency());
        assertEquals(Duration.ofSeconds(120), gpt.firstTokenTimeout());
    }

    @Test
    void shouldDescribeOneModelWhenOpenAiVariablesAreSet() {
        final List<ModelSpec> models = ModelCatalog.load(Settings.of(Map.of(
                "OPENAI_HOST", "http://llm:8000/v1", "OPENAI_MODEL_NAME", "qwen", "OPENAI_TOKEN", "tok",
                "WORKER_CONCURRENCY", "16", "WORKER_RETRY_BACKOFF", "0.1")));

        assertEquals(1, models.size());
        assertEquals("qwen", models.get(0).name());
        assertEquals("tok", models.get(0).token());
        assertEquals(16, models.get(0).concurrency());
        assertEquals(Duration.ofMillis(100), models.get(0).retryBackoff());
    }

    @Test
    void shouldReturnNoModelWhenNothingIsConfigured() {
        assertTrue(ModelCatalog.load(Settings.of(Map.of())).isEmpty());
    }

    @Test
    void shouldRejectHalfOfTheOpenAiPairWhenOnlyOneIsSet() {
        final var e = assertThrows(IllegalArgumentException.class,
                () -> ModelCatalog.load(Settings.of(Map.of("OPENAI_HOST", "http://llm:8000/v1"))));
        assertTrue(e.getMessage().contains("OPENAI_MODEL_NAME"), e.getMessage());
    }

    @Test
    void shouldNameTheEntryAndFieldWhenTheFileHasAnUnknownField() throws IOException {
        final Settings settings = settingsWithFile(
                "{\"models\": [{\"name\": \"a\", \"host\": \"http://h/v1\", \"concurrancy\": 3}]}", Map.of());

        final var e = assertThrows(IllegalArgumentException.class, () -> ModelCatalog.load(settings));
        assertTrue(e.getMessage().contains("models[0]") && e.getMessage().contains("concurrancy"), e.getMessage());
    }

    @Test
    void shouldRejectTheFileWhenTokenEnvIsNotSet() throws IOException {
        final Settings settings = settingsWithFile(
                "{\"models\": [{\"name\": \"a\", \"host\": \"http://h/v1\", \"token_env\": \"MISSING\"}]}", Map.of());

        final var e = assertThrows(IllegalArgumentException.class, () -> ModelCatalog.load(settings));
        assertTrue(e.getMessage().contains("MISSING"), e.getMessage());
    }

    @Test
    void shouldRejectTheFileWhenAModelIsListedTwice() throws IOException {
        final Settings settings = settingsWithFile("{\"models\": [{\"name\": \"a\", \"host\": \"http://h/v1\"},"
                + "{\"name\": \"a\", \"host\": \"http://g/v1\"}]}", Map.of());

        final var e = assertThrows(IllegalArgumentException.class, () -> ModelCatalog.load(settings));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }

    @Test
    void shouldReadAFallbackThatNamesAnotherModelOfTheFile() throws IOException {
        final Settings settings = settingsWithFile("{\"models\": [{\"name\": \"a\", \"host\": \"http://h/v1\","
                + " \"fallback\": \"b\"}, {\"name\": \"b\", \"host\": \"http://g/v1\"}]}", Map.of());

        final List<ModelSpec> models = ModelCatalog.load(settings);

        assertEquals("b", models.get(0).fallback());
        assertNull(models.get(1).fallback());
    }

    @Test
    void shouldRejectAFallbackToAnUnlistedModelOrToItself() throws IOException {
        final Settings unknown = settingsWithFile("{\"models\": [{\"name\": \"a\", \"host\": \"http://h/v1\","
                + " \"fallback\": \"z\"}]}", Map.of());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelCatalog.load(unknown)).getMessage()
                .contains("z"));
        final Settings itself = settingsWithFile("{\"models\": [{\"name\": \"a\", \"host\": \"http://h/v1\","
                + " \"fallback\": \"a\"}]}", Map.of());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelCatalog.load(itself)).getMessage()
                .contains("itself"));
    }

    @Test
    void shouldRejectTheFileWhenItIsNotJsonOrHasNoModelsArray() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> ModelCatalog.load(settingsWithFile("{nope", Map.of())));
        final var e = assertThrows(IllegalArgumentException.class,
                () -> ModelCatalog.load(settingsWithFile("{\"model\": []}", Map.of())));
        assertTrue(e.getMessage().contains("\"models\" array"), e.getMessage());
    }

    @Test
    void shouldRejectAnEntryWhenHostIsNotAnHttpUrlOrANumberIsWrong() throws IOException {
        final var badHost = assertThrows(IllegalArgumentException.class, () -> ModelCatalog.load(settingsWithFile(
                "{\"models\": [{\"name\": \"a\", \"host\": \"gpu-1:8000\"}]}", Map.of())));
        assertTrue(badHost.getMessage().contains("http(s) URL"), badHost.getMessage());
        final var badNumber = assertThrows(IllegalArgumentException.class, () -> ModelCatalog.load(settingsWithFile(
                "{\"models\": [{\"name\": \"a\", \"host\": \"http://h/v1\", \"concurrency\": 0}]}", Map.of())));
        assertTrue(badNumber.getMessage().contains("concurrency"), badNumber.getMessage());
        final var badTimeout = assertThrows(IllegalArgumentException.class, () -> ModelCatalog.load(settingsWithFile(
                "{\"models\": [{\"name\": \"a\", \"host\": \"http://h/v1\", \"idle_timeout\": \"60\"}]}", Map.of())));
        assertTrue(badTimeout.getMessage().contains("idle_timeout"), badTimeout.getMessage());
    }

    @Test
    void shouldNeverPrintTheTokenWhenASpecIsLogged() {
        final ModelSpec spec = ModelCatalog.Defaults.from(Settings.of(Map.of()))
                .spec("a", "http://h/v1", "sk-very-secret", null);

        assertFalse(spec.toString().contains("sk-very-secret"));
    }

    @Test
    void shouldDoubleTheBackoffWithJitterAndHonourRetryAfterWhenComputingRetryDelays() {
        final ModelSpec spec = ModelCatalog.Defaults.from(Settings.of(Map.of("WORKER_RETRY_BACKOFF", "1")))
                .spec("a", "http://h/v1", null, null);

        assertEquals(Duration.ofMillis(500), spec.retryDelay(1, Duration.ZERO, 0.0));
        assertEquals(Duration.ofMillis(1750), spec.retryDelay(2, Duration.ZERO, 0.75));
        assertEquals(Duration.ofSeconds(3), spec.retryDelay(3, Duration.ZERO, 0.5));
        assertEquals(Duration.ofSeconds(30), spec.retryDelay(1, Duration.ofSeconds(30), 0.5));
    }
}
