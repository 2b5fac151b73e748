package io.llmgw.app;

import io.llmgw.app.broker.BrokerLib;
import io.llmgw.app.broker.EmbeddedKafka;
import io.llmgw.simulator.LlmSimulator;
import io.llmgw.simulator.SimulatorConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, part 2: a role whose internal loop dies does not live on answering 503. Each case runs the role in its own
 * JVM (the launcher's main, as the image runs it; the three start together), waits for {@code /ready}, makes one
 * loop die by interrupting its thread inside the Kafka client, and observes the process exit with status 70 and say
 * why.
 */
class LoudFailureIT {

    private static final String MODEL = "loud-model";
    private static Path dataDir;
    private static EmbeddedKafka broker;
    private static LlmSimulator host;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** One loop to kill: the role whose process runs it, a prefix of its thread's name, and how the log names it. */
    record Case(String role, String thread, String loop) {
        @Override
        public String toString() {
            return role + ": " + loop;
        }
    }

    private static final List<Case> CASES = List.of(
            new Case("gateway", "llmgw-reply-consumer", "the reply consumer"),
            new Case("gateway", "llmgw-model-directory", "the model directory"),
            new Case("worker", "llmgw-cancels-", "the cancel listener"));

    /** A role process started for a case, with the port of its HTTP endpoints and its log. */
    private record Started(Process process, int port, Path log) {
    }

    private static final Map<Case, Started> STARTED = new HashMap<>();

    /** Starts the broker, the host and every case's process at once: their JVM starts overlap instead of adding up. */
    @BeforeAll
    static void start() throws IOException {
        dataDir = Files.createTempDirectory("llmgw-loud-");
        broker = EmbeddedKafka.start(dataDir.resolve("kafka"), BrokerLib.locate(), EmbeddedKafka.Options.defaults());
        host = LlmSimulator.start(SimulatorConfig.defaults().withoutDelays());
        for (final Case loopCase : CASES) {
            STARTED.put(loopCase, launch(loopCase));
        }
    }

    @AfterAll
    static void stop() {
        STARTED.values().forEach(started -> started.process().destroyForcibly());
        host.close();
        broker.close();
    }

    static List<Case> cases() {
        return CASES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldExitWithStatus70WhenAnInternalLoopDies(final Case loopCase) throws Exception {
        final Started started = STARTED.get(loopCase);
        final Process process = started.process();
        try (OutputStream stdin = process.getOutputStream()) {
            final String base = "http://127.0.0.1:" + started.port();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                    .until(() -> status(base + "/ready") == 200);
            assertEquals(200, status(base + "/health"));

            stdin.write(("interrupt " + loopCase.thread() + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            final long killedAt = System.nanoTime();

            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the process exits on its own");
            final long exitMs = Duration.ofNanos(System.nanoTime() - killedAt).toMillis();
            assertEquals(ProcessExit.STATUS, process.exitValue());
            final String log = Files.readString(started.log());
            assertTrue(log.contains("FATAL: " + loopCase.loop()), log);
            assertTrue(log.contains("exiting with status 70"), log);
            System.out.printf("%s died; exit 70 after %d ms%n", loopCase, exitMs);
        } finally {
            process.destroyForcibly();
        }
    }

    private static Started launch(final Case loopCase) throws IOException {
        final int port = ThreeRoles.freePort();
        final List<String> command = TestJvms.command(LoopKillingMain.class.getName(), loopCase.role());
        final Path log = dataDir.resolve(loopCase.role() + "-" + loopCase.thread() + ".log");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("BOOTSTRAP_SERVERS", broker.bootstrapServers());
        builder.environment().put("TOPIC_PREFIX", "loud");
        builder.environment().put("STATE_DIR", dataDir.resolve("state-" + port).toString());
        builder.environment().put("GATEWAY_HOST", "127.0.0.1");
        builder.environment().put("GATEWAY_PORT", Integer.toString(port));
        builder.environment().put("OPS_HOST", "127.0.0.1");
        builder.environment().put("OPS_PORT", Integer.toString(port));
        builder.environment().put("OPENAI_HOST", host.baseUrl());
        builder.environment().put("OPENAI_MODEL_NAME", MODEL);
        return new Started(builder.start(), port, log);
    }

    private int status(final String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (final IOException e) {
            return -1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
