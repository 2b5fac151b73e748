package io.llmgw.app.e2e;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code llmgw gateway} in a JVM of its own on a free port, started with this test JVM's classpath, so a test can
 * kill it as a host would: {@link #kill()} is SIGKILL (no shutdown hook, no cancels, no leave-group).
 */
final class GatewayProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;

    private GatewayProcess(final Process process, final Path log, final int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts a gateway with {@code settings} (plus its host and a free port) as its environment. */
    static GatewayProcess start(final String name, final Map<String, String> settings) throws IOException {
        final int port = freePort();
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), "io.llmgw.app.Llmgw", "gateway"));
        final ProcessBuilder builder = new ProcessBuilder(command);
        final Map<String, String> env = new HashMap<>(settings);
        env.put("GATEWAY_HOST", "127.0.0.1");
        env.put("GATEWAY_PORT", Integer.toString(port));
        builder.environment().putAll(env);
        final Path log = Files.createTempFile("llmgw-gateway-" + name + "-", ".log");
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        final GatewayProcess gateway = new GatewayProcess(builder.start(), log, port);
        Runtime.getRuntime().addShutdownHook(new Thread(gateway.process::destroyForcibly, "kill-gateway-" + name));
        return gateway;
    }

    /** {@code http://127.0.0.1:<port>}, without {@code /v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    String apiUrl() {
        return baseUrl() + "/v1";
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

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
