package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileObject;
import io.llmgw.settings.KafkaClientProps;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A batch survives a worker killed with SIGKILL mid-batch: two workers in JVMs of their own, each capped at two calls
 * on a host of its own; one is killed while it holds calls. The batch still completes, every line is in the output
 * file exactly once with its own answer, and a line that had finished before the kill is never run again (only
 * the calls open at the killed worker, or answered by its host in the instant before it died, run twice).
 */
class BatchWorkerKillIT {

    private static final String MODEL = "batch-kill-model";
    private static final int CAP = 2;
    private static final int LINES = 12;
    private static final Duration CALL_TIME = Duration.ofMillis(500);
    /** A call answered this long before the kill has its terminal event in the log (the worker writes it at once). */
    private static final Duration SETTLED = Duration.ofSeconds(2);

    @Test
    void shouldCompleteABatchWithEveryLineOnceWhenAWorkerIsKilledMidBatch() throws Exception {
        final E2eStack stack = E2eStack.shared();
        final long startedNanos = System.nanoTime();
        try (CountingHost hostA = new CountingHost(CALL_TIME);
             CountingHost hostB = new CountingHost(CALL_TIME);
             RoleProcess a = RoleProcess.start("worker", "batch-a", workerEnv(stack, hostA, "batch-kill-a"));
             RoleProcess b = RoleProcess.start("worker", "batch-b", workerEnv(stack, hostB, "batch-kill-b"))) {
            final OpenAIClient client = BatchFiles.client(stack);
            await().atMost(Duration.ofSeconds(60)).until(() -> client.models().list().data().stream()
                    .anyMatch(m -> m.id().equals(MODEL)));
            final List<String> lines = new ArrayList<>();
            for (int i = 0; i < LINES; i++) {
                lines.add(BatchFiles.chatLine("kill-" + i, MODEL, "batch question " + i));
            }
            final FileObject input = BatchFiles.upload(client, lines);
            final Batch created = client.batches().create(BatchCreateParams.builder().inputFileId(input.id())
                    .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build());

            // the worker to kill holds calls of the batch
            await().atMost(Duration.ofSeconds(60)).until(() -> hostA.open() == CAP);
            final long killedAtMs = System.currentTimeMillis();
            a.kill();
            assertFalse(a.isAlive());
            final Batch atKill = client.batches().retrieve(created.id());
            assertEquals(Batch.Status.IN_PROGRESS, atKill.status());
            final long doneAtKill = atKill.requestCounts().orElseThrow().completed();
            assertTrue(doneAtKill < LINES, "the batch was over before the kill");

            final Batch done = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> client.batches().retrieve(created.id()),
                            batch -> batch.status().equals(Batch.Status.COMPLETED));
            assertEquals(LINES, done.requestCounts().orElseThrow().completed(), "logs: " + a.log() + ", " + b.log());
            assertTrue(done.errorFileId().isEmpty(), "no line failed");

            final List<JsonNode> output = BatchFiles.content(client, done.outputFileId().orElseThrow());
            final Map<String, String> answers = output.stream().collect(Collectors.toMap(
                    line -> line.path("custom_id").asText(),
                    line -> line.path("response").path("body").path("choices").path(0).path("message")
                            .path("content").asText()));
            assertEquals(LINES, output.size(), "one output line per input line");
            for (int i = 0; i < LINES; i++) {
                assertEquals("echo: batch question " + i, answers.get("kill-" + i), "line " + i);
            }
            final Map<String, Long> calls = Stream.concat(hostA.arrivals().stream(), hostB.arrivals().stream())
                    .collect(Collectors.groupingBy(CountingHost.Arrival::question, Collectors.counting()));
            final long runTwice = calls.values().stream().filter(count -> count > 1).count();
            assertTrue(calls.values().stream().allMatch(count -> count <= 2), "calls per line: " + calls);
            // A line runs again only if its end was not in the log at the kill: open at the killed worker, or
            // answered by its host so shortly before that the worker had no time to write the event. A line
            // answered well before the kill (its event long written) must never run again.
            final long settledBeforeMs = killedAtMs - SETTLED.toMillis();
            final Set<String> settled = hostA.answers().stream().filter(answer -> answer.atMs() < settledBeforeMs)
                    .map(CountingHost.Arrival::question).collect(Collectors.toSet());
            final Set<String> rerun = calls.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
            assertTrue(java.util.Collections.disjoint(settled, rerun), "finished lines " + settled
                    + " ran again: " + calls);
            assertTrue(runTwice <= CAP + hostA.answers().stream().filter(x -> x.atMs() >= settledBeforeMs).count(),
                    "only lines open or just answered at the killed worker run again: " + calls);
            System.out.printf("BatchWorkerKillIT: %d lines, %d done at the kill, %d run twice; %.1f s in all%n",
                    LINES, doneAtKill, runTwice, (System.nanoTime() - startedNanos) / 1e9);
            assertEquals(LINES, calls.size(), "every line reached a host");
        }
    }

    private static Map<String, String> workerEnv(final E2eStack stack, final CountingHost host, final String id)
            throws java.io.IOException {
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClientProps.BOOTSTRAP_SERVERS, stack.settings().get(KafkaClientProps.BOOTSTRAP_SERVERS)
                .orElseThrow());
        for (final String name : List.of("REQUEST_PARTITIONS", "EVENT_PARTITIONS", "TOPIC_PREFIX")) {
            stack.settings().get(name).ifPresent(value -> env.put(name, value));
        }
        env.put("MODEL_PARTITIONS", "4");
        env.put("OPENAI_HOST", host.baseUrl());
        env.put("OPENAI_MODEL_NAME", MODEL);
        env.put("WORKER_CONCURRENCY", Integer.toString(CAP));
        env.put("WORKER_INSTANCE_ID", id);
        env.put("OPS_PORT", "0");
        env.put("STATE_DIR", Files.createTempDirectory("llmgw-batch-kill-" + id).toString());
        return env;
    }
}
