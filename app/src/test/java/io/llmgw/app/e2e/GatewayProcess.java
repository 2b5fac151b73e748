package io.llmgw.app.e2e;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code llmgw gateway} in a JVM of its own ({@link RoleProcess}) on a free port, so a test can kill it as a host
 * would: {@link #kill()} is SIGKILL (no shutdown hook, no cancels, no leave-group).
 */
final class GatewayProcess implements AutoCloseable {

    private final RoleProcess process;
    private final int port;

    private GatewayProcess(final RoleProcess process, final int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts a gateway with {@code settings} (plus its host and a free port) as its environment. */
    static GatewayProcess start(final String name, final Map<String, String> settings) throws IOException {
        return start(name, settings, java.util.List.of());
    }

    /** The same with extra JVM options ({@link RoleProcess#start(String, String, Map, java.util.List)}). */
    static GatewayProcess start(final String name, final Map<String, String> settings,
                                final java.util.List<String> jvmOptions) throws IOException {
        final int port = freePort();
        final Map<String, String> env = new HashMap<>(settings);
        env.put("GATEWAY_HOST", "127.0.0.1");
        env.put("GATEWAY_PORT", Integer.toString(port));
        return new GatewayProcess(RoleProcess.start("gateway", name, env, jvmOptions), port);
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
        process.kill();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    File log() {
        return process.log();
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
