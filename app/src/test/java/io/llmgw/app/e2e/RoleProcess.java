package io.llmgw.app.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code llmgw <role>} in a JVM of its own, started with this test JVM's classpath and the given settings as its
 * environment, so a test can kill it the way an operator's host would: {@link #kill()} is SIGKILL, with no shutdown
 * hook, no leave-group, no cancels and no flush. It never outlives the test JVM.
 */
final class RoleProcess implements AutoCloseable {

    /**
     * For a process that lives seconds: only the quick compiler and the serial collector, which spend far less CPU
     * at start-up; on two shared cores three roles starting at once otherwise take half a minute.
     */
    static final List<String> QUICK_START = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private final Process process;
    private final Path log;

    private RoleProcess(final Process process, final Path log) {
        this.process = process;
        this.log = log;
    }

    static RoleProcess start(final String role, final String name, final Map<String, String> settings)
            throws IOException {
        return start(role, name, settings, List.of());
    }

    /**
     * The same with extra JVM options, such as {@link #QUICK_START}.
     */
    static RoleProcess start(final String role, final String name, final Map<String, String> settings,
                             final List<String> jvmOptions) throws IOException {
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> command = new ArrayList<>(List.of(java, "-Xmx256m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.llmgw.app.Llmgw", role));
        final ProcessBuilder builder = new ProcessBuilder(command);
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
