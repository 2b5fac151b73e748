package io.llmgw.broker;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The child-process protocol: READY line, stop on end of stdin or SIGTERM, exit codes. */
class KafkaBrokerMainIT {

    private static final long TIMEOUT_SECONDS = 60;
    private static final String END = "\u0000end";

    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void shouldPrintReadyAndStopCleanlyWhenStdinIsClosed() throws Exception {
        final Path logDir = tmp.resolve("kafka");
        final Process child = launch("--port", "0", "--controller-port", "0", "--log-dir", logDir.toString());
        final BlockingQueue<String> lines = lines(child);

        final String ready = awaitLine(lines, KafkaBrokerMain.READY_PREFIX);
        final int port = Integer.parseInt(ready.substring(ready.lastIndexOf(':') + 1));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        }

        child.getOutputStream().close();

        assertTrue(child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the broker did not exit on end of stdin");
        assertEquals(0, child.exitValue());
        assertTrue(Files.exists(logDir.resolve(".kafka_cleanshutdown")), "no clean shutdown marker");
    }

    @Test
    void shouldStopCleanlyWhenTerminated() throws Exception {
        final Path logDir = tmp.resolve("kafka");
        final Process child = launch("--log-dir", logDir.toString());
        awaitLine(lines(child), KafkaBrokerMain.READY_PREFIX);

        child.destroy();

        assertTrue(child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the broker did not exit on SIGTERM");
        assertTrue(Files.exists(logDir.resolve(".kafka_cleanshutdown")), "no clean shutdown marker");
    }

    @Test
    void shouldExitWithUsageWhenArgumentsAreWrong() throws Exception {
        final Process child = launch("--port", "0");
        final BlockingQueue<String> lines = lines(child);

        assertTrue(child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertEquals(2, child.exitValue());
        assertNotNull(awaitLine(lines, "llmgw broker: --log-dir is required"));
    }

    private Process launch(final String... args) throws IOException {
        final String lib = System.getProperty("llmgw.broker.lib", "target/lib");
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        // the build's options for JVMs a test starts (C1 only: see the root pom)
        final String extra = System.getProperty("llmgw.test.child.java.opts", "").strip();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.split("\\s+")));
        }
        if (Runtime.version().feature() >= 24) {
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        }
        command.addAll(List.of("-cp", Path.of(lib).toAbsolutePath() + "/*", KafkaBrokerMain.class.getName()));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(process);
        return process;
    }

    private static BlockingQueue<String> lines(final Process process) {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (final IOException e) {
                lines.add("read failed: " + e);
            }
            lines.add(END);
        });
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    private static String awaitLine(final BlockingQueue<String> lines, final String prefix) throws InterruptedException {
        final List<String> seen = new ArrayList<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            final String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(END)) {
                break;
            }
            if (line.startsWith(prefix)) {
                return line;
            }
            seen.add(line);
        }
        throw new AssertionError("no line starting with '" + prefix + "'; output was:\n" + String.join("\n", seen));
    }
}
