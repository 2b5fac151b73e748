package io.llmgw.app.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code llmgw worker} in a JVM of its own, started with this test JVM's classpath and the given settings as its
 * environment, so a test can kill it the way an operator's host would: {@link #kill()} is SIGKILL, with no shutdown
 * hook, no leave-group and no flush.
 */
final class WorkerProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private WorkerProcess(final Process process, final Path log) {
        this.process = process;
        this.log = log;
    }

    static WorkerProcess start(final String name, final Map<String, String> settings) throws IOException {
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), "io.llmgw.app.Llmgw", "worker"));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(settings);
        final Path log = Files.createTempFile("llmgw-worker-" + name + "-", ".log");
        builder.redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        final WorkerProcess worker = new WorkerProcess(builder.start(), log);
        // never outlive the test JVM, whatever happens to it
        Runtime.getRuntime().addShutdownHook(new Thread(worker.process::destroyForcibly, "kill-worker-" + name));
        return worker;
    }

    /** SIGKILL, and wait until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    File log() {
        return log.toFile();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
