package io.llmgw.app.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileObject;
import io.llmgw.gateway.GatewayServer;
import io.llmgw.processors.ModelCatalog;
import io.llmgw.processors.WorkerService;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.topology.RouterService;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
 * One batch survives a SIGKILL of each role on its path, one after the other: the worker holding its calls, then the
 * only router, then the only gateway, which owns (drives) the batch. Its own topic prefix on the shared broker, so
 * that nothing of the shared stack stands in for a killed role. Killed roles run in JVMs of their own
 * ({@link RoleProcess}); what takes over runs in this JVM: a second worker that was there from the start (its own
 * host), a router and a gateway started after the kill, which get the dead one's partitions once its group session
 * (6 s) ends and, for the gateway, rebuild the batch's progress from the events log. The kills follow each other
 * while the previous role is still being replaced (each once the batch moved since the last: a line answered, a
 * line counted), so that the three 6-second sessions overlap and the class stays short; each kill still meets
 * lines at every stage, because at most {@link #WINDOW} lines are out at a time and the driver publishes one as
 * one ends.
 *
 * <p>Checked from outside: the batch completes, {@code request_counts} total = completed + failed = lines, every
 * {@code custom_id} is exactly once in the output and error files with its own answer, and no line that had finished
 * before a kill reaches a host again after it (a call after the line's first answer needs a kill between, at most
 * its settled margin before the answer). A line whose call was in flight at a kill may run again: at the
 * killed worker's host (its calls die with it), or a line the killed worker answered up to
 * {@link #SETTLED_AT_WORKER} before it died (the worker had written its end, but its input offset commits once a
 * second, so its successor reads the request again). For the router and the gateway, "finished" is a host answer
 * {@link #SETTLED} before the kill.
 *
 * <p>Expiry on the second gateway, whose {@code GATEWAY_BATCH_COMPLETION_WINDOW} is {@value #EXPIRY_WINDOW_S} s: a batch
 * created there as it starts, larger than the worker can run in that window beside the crashed batch, ends
 * {@code expired} with {@code expired_at}, the finished lines in the output file and every other one in the error file
 * as not run ({@code batch_expired}).
 */
class BatchCrashIT {

    private static final String PREFIX = "batchcrash";
    private static final String MODEL = "batch-crash-model";
    private static final int CAP = 2;
    /** Lines of one batch published and unfinished at a time: small, so that lines keep flowing through every kill. */
    private static final int WINDOW = 4;
    private static final int LINES = 36;
    /** More than the worker can finish in the window, whatever the machine: cap / call time x window = 50. */
    private static final int EXPIRING_LINES = 60;
    /** Longer than the second gateway's take-over (6 s session), so that lines of the expiring batch run. */
    private static final int EXPIRY_WINDOW_S = 10;
    private static final Duration CALL_TIME = Duration.ofMillis(400);
    private static final Duration SETTLED_AT_WORKER = Duration.ofMillis(1_500);
    private static final Duration SETTLED = Duration.ofMillis(250);

    /** A SIGKILL: when, and how long before it a host's answer makes a line finished. */
    private record Kill(String role, long atMs, Duration settled) {
    }

    @Test
    void shouldCompleteABatchWithEveryLineOnceWhenItsWorkerRouterAndGatewayAreKilledOneAfterTheOther()
            throws Exception {
        final E2eStack stack = E2eStack.shared();
        final long startedNanos = System.nanoTime();
        final Map<String, String> base = baseSettings(stack);
        final List<Kill> kills = new ArrayList<>();
        try (CountingHost hostA = new CountingHost(CALL_TIME);
             CountingHost hostB = new CountingHost(CALL_TIME);
             GatewayProcess gateway = GatewayProcess.start("crash-1", gatewayEnv(base, "crash-1"));
             RoleProcess workerA = RoleProcess.start("worker", "crash-a", workerEnv(base, hostA, "crash-a"));
             RoleProcess router = RoleProcess.start("router", "crash", withState(base, "router"));
             WorkerService survivor = WorkerService.start(Settings.of(workerEnv(base, hostB, "crash-b")),
                     ModelCatalog.forHost(Settings.of(base), List.of(MODEL), hostB.baseUrl(), null).getFirst())) {
            final OpenAIClient first = BatchFiles.client(gateway.apiUrl());
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> first.models().list().data()
                    .stream().anyMatch(m -> m.id().equals(MODEL)));
            final List<String> lines = new ArrayList<>();
            for (int i = 0; i < LINES; i++) {
                lines.add(BatchFiles.chatLine("crash-" + i, MODEL, "crash-" + i));
            }
            final String batchId = create(first, lines).id();
            final double readyS = secondsSince(startedNanos);

            // 1. the worker, while it holds calls of the batch
            await().atMost(Duration.ofSeconds(60)).until(() -> hostA.open() == CAP);
            kills.add(new Kill("worker", System.currentTimeMillis(), SETTLED_AT_WORKER));
            workerA.kill();
            final Set<String> openAtA = open(hostA);
            final long doneAtWorkerKill = inProgress(first, batchId, "the worker kill");

            // 2. the router, once the survivor answered a line since (so the driver published the next one):
            // lines wait in the requests topic until the new router has the dead one's partitions
            final long workerKilledAt = kills.getLast().atMs();
            await().atMost(Duration.ofSeconds(30)).until(() -> hostB.answers().stream()
                    .anyMatch(a -> a.atMs() > workerKilledAt));
            kills.add(new Kill("router", System.currentTimeMillis(), SETTLED));
            router.kill();
            final long doneAtRouterKill = inProgress(first, batchId, "the router kill");
            try (RouterService next = RouterService.start(Settings.of(withState(base, "router-2")))) {
                // 3. the gateway that owns the batch, once a line ended since (the driver published again); a second
                // gateway takes its partitions over after the session and rebuilds the batch from the log
                await().atMost(Duration.ofSeconds(30)).until(() -> completed(first, batchId) > doneAtRouterKill);
                kills.add(new Kill("gateway", System.currentTimeMillis(), SETTLED));
                gateway.kill();
                assertFalse(gateway.isAlive());
                final long doneAtGatewayKill = answered(hostA, hostB);
                try (GatewayServer second = GatewayServer.start(Settings.of(inProcessGateway(base, "crash-2")))) {
                    final OpenAIClient client = BatchFiles.client("http://127.0.0.1:" + second.port() + "/v1");
                    // created now, it runs beside the rest of the crashed batch once this gateway owns both
                    final Batch expiring = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                            .until(() -> create(client, expiringLines()), java.util.Objects::nonNull);
                    final Batch done = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                            .ignoreExceptions().until(() -> client.batches().retrieve(batchId),
                                    batch -> batch.status().equals(Batch.Status.COMPLETED));
                    final double completedS = secondsSince(startedNanos);
                    assertCompleted(client, done, hostA, hostB, kills);
                    assertTrue(arrivedAfter(hostB, workerKilledAt).containsAll(openAtA),
                            "the calls cut at the killed worker ran at the survivor: " + openAtA);
                    assertTrue(doneAtGatewayKill < LINES - WINDOW, "lines were left for the second gateway to"
                            + " publish: " + doneAtGatewayKill);
                    System.out.printf("BatchCrashIT: %d lines; done at the kills: worker %d, router %d (batch"
                                    + " counts), gateway %d (host answers); calls per line %s; kills %s; batch"
                                    + " created after %.1f s, completed after %.1f s%n", LINES, doneAtWorkerKill,
                            doneAtRouterKill, doneAtGatewayKill, callsPerLine(hostA, hostB).values().stream()
                                    .collect(Collectors.groupingBy(c -> c, Collectors.counting())), kills,
                            readyS, completedS);

                    expire(client, expiring, hostB);
                }
            }
            System.out.printf("BatchCrashIT: %.1f s in all%n", secondsSince(startedNanos));
        }
    }

    private static double secondsSince(final long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    /** The second gateway's window is seconds: a batch too large for it ends expired, keeping what finished. */
    private static List<String> expiringLines() {
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < EXPIRING_LINES; i++) {
            lines.add(BatchFiles.chatLine("expiring-" + i, MODEL, "expiring-" + i));
        }
        return lines;
    }

    private static void expire(final OpenAIClient client, final Batch created, final CountingHost host)
            throws IOException {
        assertTrue(created.expiresAt().orElseThrow() <= created.createdAt() + EXPIRY_WINDOW_S, created.toString());
        final Batch expired = await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                .until(() -> client.batches().retrieve(created.id()),
                        batch -> batch.status().equals(Batch.Status.EXPIRED));
        final long expiredAt = expired.expiredAt().orElseThrow();
        assertTrue(expiredAt >= expired.expiresAt().orElseThrow(), expired.toString());
        final com.openai.models.batches.BatchRequestCounts counts = expired.requestCounts().orElseThrow();
        final List<JsonNode> output = BatchFiles.content(client, expired.outputFileId().orElseThrow());
        final List<JsonNode> errors = BatchFiles.content(client, expired.errorFileId().orElseThrow());
        assertEquals(EXPIRING_LINES, counts.total());
        assertEquals(output.size(), counts.completed(), "completed = lines in the output file");
        assertEquals(errors.size(), counts.failed(), "failed = lines in the error file");
        assertEquals(EXPIRING_LINES, counts.completed() + counts.failed());
        assertTrue(counts.completed() > 0 && counts.failed() > 0, "some lines finished, some not: " + counts);
        for (final JsonNode line : output) {
            assertEquals("echo: " + line.path("custom_id").asText(), answer(line), line.toString());
        }
        for (final JsonNode line : errors) {
            assertTrue(line.path("response").isNull(), "a line cut short has no response: " + line);
            assertEquals("batch_expired", line.path("error").path("code").asText(), line.toString());
        }
        assertEachOnce(EXPIRING_LINES, "expiring-", output, errors);
        final long atHost = host.answers().stream().filter(a -> a.question().startsWith("expiring-")).count();
        assertTrue(atHost >= output.size(), "every kept answer came from the host: " + atHost);
        System.out.printf("BatchCrashIT: expired after %d s: %d lines kept, %d batch_expired%n",
                expiredAt - expired.createdAt(), output.size(), errors.size());
    }

    private static void assertCompleted(final OpenAIClient client, final Batch done, final CountingHost hostA,
                                        final CountingHost hostB, final List<Kill> kills) throws IOException {
        final com.openai.models.batches.BatchRequestCounts counts = done.requestCounts().orElseThrow();
        assertEquals(LINES, counts.total());
        assertEquals(LINES, counts.completed() + counts.failed());
        assertEquals(LINES, counts.completed(), "no line failed: " + done.errorFileId());
        final List<JsonNode> output = BatchFiles.content(client, done.outputFileId().orElseThrow());
        final List<JsonNode> errors = done.errorFileId().isPresent()
                ? BatchFiles.content(client, done.errorFileId().get()) : List.of();
        assertEachOnce(LINES, "crash-", output, errors);
        for (final JsonNode line : output) {
            assertEquals("echo: " + line.path("custom_id").asText(), answer(line), line.toString());
        }
        final Map<String, Long> calls = callsPerLine(hostA, hostB);
        assertEquals(LINES, calls.size(), "every line reached a host: " + calls);
        // A call of a line after its first answer is a re-run of a finished line, unless a kill came between
        // (shortly before the answer, or after it) and the call: then the line was on its way at that kill.
        final Map<String, Long> firstAnswer = Stream.concat(hostA.answers().stream(), hostB.answers().stream())
                .collect(Collectors.toMap(CountingHost.Arrival::question, CountingHost.Arrival::atMs, Math::min));
        final List<String> rerunFinished = Stream.concat(hostA.arrivals().stream(), hostB.arrivals().stream())
                .filter(call -> firstAnswer.containsKey(call.question()))
                .filter(call -> call.atMs() > firstAnswer.get(call.question()))
                .filter(call -> kills.stream().noneMatch(kill -> kill.atMs() < call.atMs()
                        && firstAnswer.get(call.question()) > kill.atMs() - kill.settled().toMillis()))
                .map(CountingHost.Arrival::question).toList();
        assertEquals(List.of(), rerunFinished, "lines finished before a kill ran again after it: " + calls
                + ", kills " + kills);
    }

    private static void assertEachOnce(final int lines, final String prefix, final List<JsonNode> output,
                                       final List<JsonNode> errors) {
        final List<String> ids = Stream.concat(output.stream(), errors.stream())
                .map(line -> line.path("custom_id").asText()).toList();
        final Set<String> expected = new HashSet<>();
        for (int i = 0; i < lines; i++) {
            expected.add(prefix + i);
        }
        assertEquals(lines, ids.size(), "one line out per line in: " + ids);
        assertEquals(expected, new HashSet<>(ids));
    }

    private static Batch create(final OpenAIClient client, final List<String> lines) throws IOException {
        final FileObject input = BatchFiles.upload(client, lines);
        return client.batches().create(BatchCreateParams.builder().inputFileId(input.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
    }

    /** Asserts that the batch is still running at a kill, and returns its completed count. */
    private static long inProgress(final OpenAIClient client, final String batchId, final String when) {
        final Batch batch = client.batches().retrieve(batchId);
        assertEquals(Batch.Status.IN_PROGRESS, batch.status(), "at " + when);
        final long completed = batch.requestCounts().orElseThrow().completed();
        assertTrue(completed < LINES, "the batch was over before " + when);
        return completed;
    }

    private static long completed(final OpenAIClient client, final String batchId) {
        return client.batches().retrieve(batchId).requestCounts().orElseThrow().completed();
    }

    /** Lines answered by a host so far (the dead gateway cannot be asked). */
    private static long answered(final CountingHost hostA, final CountingHost hostB) {
        return Stream.concat(hostA.answers().stream(), hostB.answers().stream()).map(CountingHost.Arrival::question)
                .distinct().count();
    }

    /** The questions a host received and has not answered: its calls open (at a killed worker: cut). */
    private static Set<String> open(final CountingHost host) {
        final Set<String> open = host.arrivals().stream().map(CountingHost.Arrival::question)
                .collect(Collectors.toSet());
        host.answers().forEach(answer -> open.remove(answer.question()));
        return open;
    }

    private static Set<String> arrivedAfter(final CountingHost host, final long atMs) {
        return host.arrivals().stream().filter(a -> a.atMs() > atMs).map(CountingHost.Arrival::question)
                .collect(Collectors.toSet());
    }

    private static Map<String, Long> callsPerLine(final CountingHost hostA, final CountingHost hostB) {
        return Stream.concat(hostA.arrivals().stream(), hostB.arrivals().stream())
                .filter(a -> a.question().startsWith("crash-"))
                .collect(Collectors.groupingBy(CountingHost.Arrival::question, Collectors.counting()));
    }

    private static String answer(final JsonNode line) {
        return line.path("response").path("body").path("choices").path(0).path("message").path("content").asText();
    }

    private static Map<String, String> baseSettings(final E2eStack stack) {
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClientProps.BOOTSTRAP_SERVERS, stack.settings().get(KafkaClientProps.BOOTSTRAP_SERVERS)
                .orElseThrow());
        env.put("TOPIC_PREFIX", PREFIX);
        env.put("REQUEST_PARTITIONS", "3");
        env.put("EVENT_PARTITIONS", "3");
        env.put("MODEL_PARTITIONS", "2");
        env.put("OPS_PORT", "0");
        env.put("GATEWAY_BATCH_WINDOW", Integer.toString(WINDOW));
        return env;
    }

    private static Map<String, String> withState(final Map<String, String> base, final String name)
            throws IOException {
        final Map<String, String> env = new HashMap<>(base);
        env.put("STATE_DIR", Files.createTempDirectory("llmgw-batch-crash-" + name).toString());
        return env;
    }

    private static Map<String, String> workerEnv(final Map<String, String> base, final CountingHost host,
                                                 final String id) throws IOException {
        final Map<String, String> env = withState(base, id);
        env.put("OPENAI_HOST", host.baseUrl());
        env.put("OPENAI_MODEL_NAME", MODEL);
        env.put("WORKER_CONCURRENCY", Integer.toString(CAP));
        env.put("WORKER_INSTANCE_ID", id);
        return env;
    }

    private static Map<String, String> gatewayEnv(final Map<String, String> base, final String id)
            throws IOException {
        final Map<String, String> env = withState(base, id);
        env.put("GATEWAY_ID", id);
        return env;
    }

    private static Map<String, String> inProcessGateway(final Map<String, String> base, final String id)
            throws IOException {
        final Map<String, String> env = gatewayEnv(base, id);
        env.put("GATEWAY_HOST", "127.0.0.1");
        env.put("GATEWAY_PORT", "0");
        env.put("GATEWAY_BATCH_COMPLETION_WINDOW", Integer.toString(EXPIRY_WINDOW_S));
        return env;
    }
}
