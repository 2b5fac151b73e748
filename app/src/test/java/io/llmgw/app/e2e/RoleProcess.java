package io.llmgw.app.e2e;

import io.llmgw.app.TestJvms;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code llmgw <role>} in a JVM of its own, started with this test JVM's classpath and the given settings as its
 * environment, so a test can kill it the way an operator's host would: {@link #kill()} is SIGKILL, with no shutdown
 * hook, no leave-group, no cancels and no flush. It never outlives the test JVM.
 */
final class RoleProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private RoleProcess(final Process process, final Path log) {
        this.process = process;
        this.log = log;
    }

    static RoleProcess start(final String role, final String name, final Map<String, String> settings)
            throws IOException {
        final ProcessBuilder builder = new ProcessBuilder(TestJvms.command("io.llmgw.app.Llmgw", role));
        builder.environment().putAll(settings);
        final Path log = Files.createTempFile("llmgw-" + role + "-" + name + "-", ".log");
        builder.redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        final RoleProcess started = new RoleProcess(builder.start(), log);
        Runtime.getRuntime().addShutdownHook(new Thread(started.process::destroyForcibly,
                "kill-" + role + "-" + name));
        return started;
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
