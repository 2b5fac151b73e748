package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchListParams;
import com.openai.models.files.FileObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Files and Batch APIs with the official SDK on the shared stack: a batch runs to {@code completed} with every
 * line exactly once in the output or the error file, a file with bad lines fails the batch naming the lines, a
 * cancelled batch ends {@code cancelled} with every line accounted for, and bad input gets OpenAI-style 4xx answers.
 */
class BatchesIT {

    private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(60);

    private final E2eStack stack = E2eStack.shared();
    private final OpenAIClient client = BatchFiles.client(stack);

    @Test
    void shouldRunABatchToCompletedWithEveryLineOnceInOneOfItsFiles() throws Exception {
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            lines.add(BatchFiles.chatLine("line-" + i, E2eStack.GPT, "question " + i));
        }
        lines.add(BatchFiles.chatLine("unknown-model", "no-such-model", "who answers?"));
        final FileObject input = BatchFiles.upload(client, lines);
        assertEquals(input.id(), client.files().retrieve(input.id()).id());
        assertTrue(input.bytes() > 0);
        assertTrue(client.files().list().autoPager().stream().anyMatch(file -> file.id().equals(input.id())),
                "the upload is listed");

        final Batch created = client.batches().create(BatchCreateParams.builder()
                .inputFileId(input.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                .metadata(BatchCreateParams.Metadata.builder().putAdditionalProperty("job", JsonValue.from("it"))
                        .build())
                .build());
        assertEquals(Batch.Status.VALIDATING, created.status());

        final Batch done = awaitStatus(created.id(), Batch.Status.COMPLETED);
        assertEquals(8, done.requestCounts().orElseThrow().total());
        assertEquals(7, done.requestCounts().orElseThrow().completed());
        assertEquals(1, done.requestCounts().orElseThrow().failed());
        assertTrue(done.inProgressAt().isPresent() && done.finalizingAt().isPresent()
                && done.completedAt().isPresent(), "timestamps of " + done);
        assertEquals("it", done.metadata().orElseThrow()._additionalProperties().get("job").asStringOrThrow());

        final List<JsonNode> output = BatchFiles.content(client, done.outputFileId().orElseThrow());
        final List<JsonNode> errors = BatchFiles.content(client, done.errorFileId().orElseThrow());
        assertEquals(7, output.size());
        for (final JsonNode line : output) {
            final String question = "question " + line.path("custom_id").asText().substring("line-".length());
            assertEquals(200, line.path("response").path("status_code").asInt());
            assertEquals("You said: " + question, line.path("response").path("body").path("choices").path(0)
                    .path("message").path("content").asText());
            assertTrue(line.path("id").asText().startsWith("batch_req_"));
        }
        // usage: the sum of the answers' usage, as the output file shows it
        long prompt = 0;
        long completion = 0;
        for (final JsonNode line : output) {
            prompt += line.path("response").path("body").path("usage").path("prompt_tokens").asLong();
            completion += line.path("response").path("body").path("usage").path("completion_tokens").asLong();
        }
        final com.openai.models.batches.BatchUsage usage = done.usage().orElseThrow();
        assertTrue(prompt > 0 && completion > 0, "the simulator reports usage");
        assertEquals(prompt, usage.inputTokens());
        assertEquals(completion, usage.outputTokens());
        assertEquals(prompt + completion, usage.totalTokens());
        assertEquals(1, errors.size());
        assertEquals("unknown-model", errors.getFirst().path("custom_id").asText());
        assertEquals(404, errors.getFirst().path("response").path("status_code").asInt());
        assertEveryLineOnce(lines.size(), output, errors);

        final Set<String> listed = new HashSet<>();
        client.batches().list(BatchListParams.builder().limit(1).build()).autoPager()
                .forEach(batch -> listed.add(batch.id()));
        assertTrue(listed.contains(done.id()), "listed " + listed);

        assertTrue(client.files().delete(input.id()).deleted());
        assertThrows(NotFoundException.class, () -> client.files().retrieve(input.id()));
    }

    @Test
    void shouldFailABatchWhoseFileHasBadLinesNamingTheLines() throws Exception {
        final FileObject input = BatchFiles.upload(client, List.of(
                BatchFiles.chatLine("a", E2eStack.GPT, "fine"),
                "this is not json",
                "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}",
                BatchFiles.chatLine("a", E2eStack.GPT, "same id again")));
        final Batch created = client.batches().create(BatchCreateParams.builder().inputFileId(input.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());

        final Batch failed = awaitStatus(created.id(), Batch.Status.FAILED);
        assertTrue(failed.failedAt().isPresent());
        final var data = failed.errors().orElseThrow().data().orElseThrow();
        assertEquals(List.of(2L, 3L, 4L), data.stream().map(e -> e.line().orElseThrow()).toList());
        assertEquals(List.of("invalid_json_line", "missing_required_parameter", "duplicate_custom_id"),
                data.stream().map(e -> e.code().orElseThrow()).toList());
        assertFalse(failed.outputFileId().isPresent());
    }

    @Test
    void shouldCancelARunningBatchAndAccountForEveryLine() throws Exception {
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            // slow lines: the first token after 30 s, so they are running or waiting when the cancel comes
            lines.add(BatchFiles.chatLine("slow-" + i, E2eStack.GPT, "slow " + i)
                    .replace("\"model\":", "\"x_sim\":{\"ttft_ms\":30000},\"model\":"));
        }
        final FileObject input = BatchFiles.upload(client, lines);
        final Batch created = client.batches().create(BatchCreateParams.builder().inputFileId(input.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
        awaitStatus(created.id(), Batch.Status.IN_PROGRESS);

        final Batch cancelling = client.batches().cancel(created.id());
        assertEquals(Batch.Status.CANCELLING, cancelling.status());
        assertTrue(cancelling.cancellingAt().isPresent());

        final Batch cancelled = awaitStatus(created.id(), Batch.Status.CANCELLED);
        assertTrue(cancelled.cancelledAt().isPresent());
        final List<JsonNode> output = cancelled.outputFileId().isPresent()
                ? BatchFiles.content(client, cancelled.outputFileId().get()) : List.of();
        final List<JsonNode> errors = BatchFiles.content(client, cancelled.errorFileId().orElseThrow());
        assertTrue(output.isEmpty(), "no slow line could finish: " + output);
        assertEveryLineOnce(lines.size(), output, errors);
        assertEquals(6, cancelled.requestCounts().orElseThrow().failed());
    }

    @Test
    void shouldGiveBackAFileOfSeveralChunksByteForByte() throws Exception {
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            // about 1.5 MB: three chunks of the chunks topic
            lines.add(BatchFiles.chatLine("big-" + i, E2eStack.GPT, "x".repeat(400) + i));
        }
        final FileObject input = BatchFiles.upload(client, lines);
        assertTrue(input.bytes() > 1_100_000, "size " + input.bytes());
        final List<JsonNode> content = BatchFiles.content(client, input.id());
        assertEquals(lines.size(), content.size());
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(lines.get(i), content.get(i).toString(), "line " + i);
        }
        assertTrue(client.files().delete(input.id()).deleted());
    }

    @Test
    void shouldAnswerBadInputWithOpenAiErrors() throws Exception {
        final String base = stack.gatewayUrl();
        final Http.Reply noFile = Http.post(base + "/batches", "{\"input_file_id\":\"file-nope\",\"endpoint\":"
                + "\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        assertEquals(404, noFile.status(), noFile.body());
        assertEquals("invalid_request_error", noFile.json().path("error").path("type").asText());
        final Http.Reply badEndpoint = Http.post(base + "/batches", "{\"input_file_id\":\"file-nope\",\"endpoint\":"
                + "\"/v1/images\",\"completion_window\":\"24h\"}");
        assertEquals(400, badEndpoint.status());
        assertEquals("endpoint", badEndpoint.json().path("error").path("param").asText());
        final Http.Reply badWindow = Http.post(base + "/batches", "{\"input_file_id\":\"file-nope\",\"endpoint\":"
                + "\"/v1/embeddings\",\"completion_window\":\"1h\"}");
        assertEquals("completion_window", badWindow.json().path("error").path("param").asText());
        assertEquals(400, Http.post(base + "/batches", "not json").status());
        assertEquals(404, Http.get(base + "/batches/batch_nope").status());
        assertEquals(404, Http.get(base + "/files/file-nope/content").status());
        assertEquals(400, Http.post(base + "/files", "{}").status());
        assertEquals(400, Http.get(base + "/batches?limit=1000").status());
        assertEquals(413, uploadStatusClaiming(400_000_000L), "an upload over 200 MB is refused before its body");
    }

    /** The status of an upload whose headers announce {@code length} bytes; none of them is sent. */
    private int uploadStatusClaiming(final long length) throws Exception {
        final java.net.URI uri = java.net.URI.create(stack.gatewayUrl());
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            final String head = "POST /v1/files HTTP/1.1\r\nHost: " + uri.getHost() + "\r\n"
                    + "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: " + length + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            final String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    private Batch awaitStatus(final String id, final Batch.Status status) {
        return await().atMost(BATCH_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> client.batches().retrieve(id), batch -> batch.status().equals(status));
    }

    private static void assertEveryLineOnce(final int lines, final List<JsonNode> output,
                                            final List<JsonNode> errors) {
        final List<String> ids = new ArrayList<>();
        output.forEach(line -> ids.add(line.path("custom_id").asText()));
        errors.forEach(line -> ids.add(line.path("custom_id").asText()));
        assertEquals(lines, ids.size(), "lines in the two files: " + ids);
        assertEquals(lines, ids.stream().collect(Collectors.toSet()).size(), "each line once: " + ids);
    }
}
