package io.llmgw.app;

import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Router, worker and gateway started as {@code ./llmgw router|worker|gateway} start them ({@link Roles}), in the test's
 * JVM, each on a port of its own, against one broker and one host: the layout of the tests that try the roles as an
 * operator runs them. Closing stops the gateway, then the worker, then the router.
 */
final class ThreeRoles implements AutoCloseable {

    private final String router;
    private final String worker;
    private final String gateway;
    private final AutoCloseable routerRole;
    private final AutoCloseable workerRole;
    private final AutoCloseable gatewayRole;

    private ThreeRoles(final String router, final String worker, final String gateway, final AutoCloseable routerRole,
                       final AutoCloseable workerRole, final AutoCloseable gatewayRole) {
        this.router = router;
        this.worker = worker;
        this.gateway = gateway;
        this.routerRole = routerRole;
        this.workerRole = workerRole;
        this.gatewayRole = gatewayRole;
    }

    /** Settings every role shares: the broker, a topic prefix of the test's own, small partition counts. */
    static Map<String, String> settings(final String bootstrap, final String prefix, final Path dataDir,
                                        final int partitions, final int eventPartitions) {
        final Map<String, String> values = new HashMap<>();
        values.put(KafkaClientProps.BOOTSTRAP_SERVERS, bootstrap);
        values.put("TOPIC_PREFIX", prefix);
        values.put("STATE_DIR", dataDir.resolve("state").toString());
        values.put("REQUEST_PARTITIONS", Integer.toString(partitions));
        values.put("MODEL_PARTITIONS", Integer.toString(partitions));
        values.put("EVENT_PARTITIONS", Integer.toString(eventPartitions));
        values.put("OPS_HOST", "127.0.0.1");
        return values;
    }

    /** Starts the three roles; {@code model} is served by {@code hostUrl}. Their base URLs are known at once. */
    static ThreeRoles start(final Settings base, final String hostUrl, final String model, final String gatewayId)
            throws Exception {
        final String router = "http://127.0.0.1:" + freePort();
        final String worker = "http://127.0.0.1:" + freePort();
        final String gateway = "http://127.0.0.1:" + freePort();
        final AutoCloseable routerRole = Roles.router(base.with(Map.of("OPS_PORT", port(router))));
        AutoCloseable workerRole = null;
        try {
            workerRole = Roles.workers(base.with(Map.of("OPS_PORT", port(worker), "OPENAI_HOST", hostUrl,
                    "OPENAI_MODEL_NAME", model)), null);
            final AutoCloseable gatewayRole = Roles.gateway(base.with(Map.of("GATEWAY_HOST", "127.0.0.1",
                    "GATEWAY_PORT", port(gateway), "GATEWAY_ID", gatewayId)));
            return new ThreeRoles(router, worker, gateway, routerRole, workerRole, gatewayRole);
        } catch (final Exception e) {
            if (workerRole != null) {
                workerRole.close();
            }
            routerRole.close();
            throw e;
        }
    }

    /**
     * The same three roles, each as {@code llmgw <role>} in a JVM of its own (options from {@link TestJvms}); closing
     * kills them. For a test that takes Kafka away: a Streams app closed with no broker can leave threads retrying
     * for good (a router's global thread did, through the rest of a suite), and those die with their process.
     */
    static ThreeRoles inOwnJvms(final Settings base, final String hostUrl, final String model, final String gatewayId)
            throws IOException {
        final String router = "http://127.0.0.1:" + freePort();
        final String worker = "http://127.0.0.1:" + freePort();
        final String gateway = "http://127.0.0.1:" + freePort();
        final Map<String, String> env = base.withPrefix("");
        final AutoCloseable routerRole = launch("router", env, Map.of("OPS_PORT", port(router)));
        final AutoCloseable workerRole = launch("worker", env, Map.of("OPS_PORT", port(worker),
                "OPENAI_HOST", hostUrl, "OPENAI_MODEL_NAME", model));
        final AutoCloseable gatewayRole = launch("gateway", env, Map.of("GATEWAY_HOST", "127.0.0.1",
                "GATEWAY_PORT", port(gateway), "GATEWAY_ID", gatewayId));
        return new ThreeRoles(router, worker, gateway, routerRole, workerRole, gatewayRole);
    }

    private static AutoCloseable launch(final String role, final Map<String, String> base,
                                        final Map<String, String> own) throws IOException {
        final ProcessBuilder builder = new ProcessBuilder(TestJvms.command(Llmgw.class.getName(), role))
                .redirectErrorStream(true)
                .redirectOutput(Files.createTempFile("llmgw-" + role + "-", ".log").toFile());
        builder.environment().putAll(base);
        builder.environment().putAll(own);
        final Process process = builder.start();
        return () -> {
            process.destroyForcibly();
            process.waitFor();
        };
    }

    String router() {
        return router;
    }

    String worker() {
        return worker;
    }

    String gateway() {
        return gateway;
    }

    /** A port free right now: the roles take theirs from settings and do not report a port chosen with 0. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String port(final String base) {
        return base.substring(base.lastIndexOf(':') + 1);
    }

    @Override
    public void close() throws Exception {
        try {
            gatewayRole.close();
        } finally {
            try {
                workerRole.close();
            } finally {
                routerRole.close();
            }
        }
    }
}
