package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponse;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import io.llmgw.schemas.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Batch input files and output files for the end-to-end tests, through the official SDK. */
final class BatchFiles {

    private BatchFiles() {
    }

    /**
     * An SDK client that retries (twice) what failed on the way: batch calls are polls and idempotent reads, and a
     * pooled connection the gateway closed while a test waited must not fail the test.
     */
    static OpenAIClient client(final E2eStack stack) {
        return client(stack.gatewayUrl());
    }

    /** The same client for the gateway at {@code apiUrl} (with {@code /v1}). */
    static OpenAIClient client(final String apiUrl) {
        return com.openai.client.okhttp.OpenAIOkHttpClient.builder().apiKey("token").baseUrl(apiUrl)
                .maxRetries(2).timeout(java.time.Duration.ofSeconds(60)).build();
    }

    /** One chat line of an input file. */
    static String chatLine(final String customId, final String model, final String question) {
        final ObjectNode line = Json.object();
        line.put("custom_id", customId);
        line.put("method", "POST");
        line.put("url", "/v1/chat/completions");
        final ObjectNode body = line.putObject("body");
        body.put("model", model);
        final ObjectNode message = body.putArray("messages").addObject();
        message.put("role", "user");
        message.put("content", question);
        return line.toString();
    }

    static FileObject upload(final OpenAIClient client, final List<String> lines) throws IOException {
        final Path file = Files.createTempFile("batch-input-", ".jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        try {
            return client.files().create(FileCreateParams.builder().file(file).purpose(FilePurpose.BATCH).build());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The lines of a file's content, parsed. */
    static List<JsonNode> content(final OpenAIClient client, final String fileId) throws IOException {
        try (HttpResponse response = client.files().content(fileId)) {
            final String text = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            final List<JsonNode> lines = new ArrayList<>();
            for (final String line : text.split("\n")) {
                if (!line.isBlank()) {
                    lines.add(Json.MAPPER.readTree(line));
                }
            }
            return lines;
        }
    }
}
