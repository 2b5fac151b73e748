package io.llmgw.bench;

import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.settings.TopicAdmin;
import io.llmgw.simulator.SimulatorConfig;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The system under test as child processes: the {@code stack} node ({@code ./llmgw dev}: broker, simulator, router,
 * worker; its own gateway reads events partition 0 and stays idle) and the {@code gateway} node, which owns the other
 * events partitions and takes all the load. One process per role, as in production, so that each one's CPU, heap
 * and profile can be read apart.
 */
final class BenchStack implements AutoCloseable {

    static final String MODEL = "llmgw-bench";
    static final String NODE_HEAP = "BENCH_NODE_HEAP";
    static final String DEFAULT_NODE_HEAP = "1g";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    /** Settings that would point the stack at something else than its own broker and simulator, or clash. */
    static final Set<String> IGNORED = Set.of("OPENAI_HOST", "OPENAI_MODEL_NAME", "OPENAI_TOKEN",
            "MODELS_FILE", KafkaClientProps.BOOTSTRAP_SERVERS, "GATEWAY_API_KEYS", "GATEWAY_PORT", "GATEWAY_ID",
            "GATEWAY_REPLY_PARTITIONS", "SIM_PORT", "SIM_HOST", "STATE_DIR", "WORKER_INSTANCE_ID",
            "LLMGW_BROKER_PORT", "LLMGW_BROKER_CONTROLLER_PORT");

    private final NodeProcess stack;
    private final NodeProcess gateway;
    private final Map<String, String> stackEnvironment;

    private BenchStack(final NodeProcess stack, final NodeProcess gateway, final Map<String, String> stackEnvironment) {
        this.stack = stack;
        this.gateway = gateway;
        this.stackEnvironment = stackEnvironment;
    }

    /**
     * Starts both nodes and returns when both are ready and the gateway knows the model. They start side by side:
     * the broker's ports are chosen here, so the gateway knows its address before the broker is up (its Kafka
     * clients retry until it is).
     */
    static BenchStack start(final Settings settings, final BenchOptions options, final Path outDir)
            throws IOException, InterruptedException {
        final Map<String, String> base = new HashMap<>(settings.withPrefix(""));
        base.keySet().removeAll(IGNORED);
        final int eventPartitions = TopicAdmin.TopicLayout.from(settings).eventPartitions();
        if (eventPartitions < 2) {
            throw new IllegalArgumentException("the benchmark needs EVENT_PARTITIONS of 2 or more (one for the idle"
                    + " gateway of the stack, the others for the gateway under test): " + eventPartitions);
        }
        final String heap = settings.get(NODE_HEAP, DEFAULT_NODE_HEAP);
        final int[] ports = freePorts(2);
        final String bootstrap = "127.0.0.1:" + ports[0];

        final Map<String, String> stackEnv = new HashMap<>(base);
        stackEnv.put("LLMGW_BROKER_PORT", Integer.toString(ports[0]));
        stackEnv.put("LLMGW_BROKER_CONTROLLER_PORT", Integer.toString(ports[1]));
        stackEnv.put("SIM_MODELS", MODEL);
        // no simulated thinking time unless a request asks for it (x_sim): non-streaming latency is the path's own
        stackEnv.put(SimulatorConfig.TTFT_MS_CONFIG, "0");
        stackEnv.put(SimulatorConfig.TOKENS_PER_SECOND_CONFIG, "0");
        stackEnv.put(SimulatorConfig.JITTER_CONFIG, "0");
        stackEnv.put("SIM_PORT", "0");
        stackEnv.put("GATEWAY_PORT", "0");
        stackEnv.put("GATEWAY_HOST", "127.0.0.1");
        stackEnv.put("GATEWAY_REPLY_PARTITIONS", "0");
        // every stream and every waiting request of the cases must reach the simulator at once
        stackEnv.put("WORKER_CONCURRENCY", Integer.toString(Math.max(4096, 2 * Math.max(options.maxStreams(),
                options.waiting()))));
        stackEnv.putIfAbsent("GATEWAY_REQUEST_TIMEOUT", "60");

        final Map<String, String> gatewayEnv = new HashMap<>(base);
        gatewayEnv.put(KafkaClientProps.BOOTSTRAP_SERVERS, bootstrap);
        gatewayEnv.put("GATEWAY_PORT", "0");
        gatewayEnv.put("GATEWAY_HOST", "127.0.0.1");
        gatewayEnv.put("GATEWAY_REPLY_PARTITIONS", "1-" + (eventPartitions - 1));
        gatewayEnv.putIfAbsent("GATEWAY_REQUEST_TIMEOUT", "60");

        final NodeProcess stack = NodeProcess.launch(BenchNode.STACK, stackEnv, heap, outDir.resolve("stack.log"));
        NodeProcess gateway = null;
        try {
            gateway = NodeProcess.launch(BenchNode.GATEWAY, gatewayEnv, heap, outDir.resolve("gateway.log"));
            stack.awaitReady(READY_TIMEOUT);
            if (!stack.ready("bootstrap").equals(bootstrap)) {
                throw new IllegalStateException("the stack's broker listens on " + stack.ready("bootstrap")
                        + ", not on the chosen " + bootstrap + " (was the port taken meanwhile?)");
            }
            gateway.awaitReady(READY_TIMEOUT);
            stackEnv.put(KafkaClientProps.BOOTSTRAP_SERVERS, bootstrap);
            final BenchStack started = new BenchStack(stack, gateway, stackEnv);
            started.awaitModelListed(READY_TIMEOUT);
            return started;
        } catch (final IOException | InterruptedException | RuntimeException e) {
            if (gateway != null) {
                gateway.close();
            }
            stack.close();
            throw e;
        }
    }

    /** The gateway may be ready a moment before the worker's announcement reaches its model directory. */
    private void awaitModelListed(final Duration timeout) throws InterruptedException {
        awaitModelListed(gatewayUrl(), MODEL, timeout);
    }

    static void awaitModelListed(final URI gatewayUrl, final String model, final Duration timeout)
            throws InterruptedException {
        final HttpRequest models = HttpRequest.newBuilder(URI.create(gatewayUrl + "/models"))
                .timeout(Duration.ofSeconds(10)).GET().build();
        final long giveUp = System.nanoTime() + timeout.toNanos();
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            while (System.nanoTime() < giveUp) {
                try {
                    final HttpResponse<String> response = client.send(models, HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200 && response.body().contains("\"" + model + "\"")) {
                        return;
                    }
                } catch (final IOException e) {
                    // not listening yet: try again
                }
                // polling: the model directory of another process has no event to wait on
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
        throw new IllegalStateException("the gateway did not list the model " + model + " within " + timeout);
    }

    static int[] freePorts(final int count) throws IOException {
        final int[] ports = new int[count];
        final List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                final ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
        } finally {
            for (final ServerSocket socket : sockets) {
                socket.close();
            }
        }
        return ports;
    }

    /** The gateway under test's OpenAI base URL. */
    URI gatewayUrl() {
        return URI.create("http://127.0.0.1:" + gateway.ready("gateway") + "/v1");
    }

    URI simulatorUrl() {
        return URI.create(stack.ready("simulator"));
    }

    /** Settings as the parts see them, with the broker's address: for the benchmark's own Kafka clients. */
    Settings settings() {
        return Settings.of(stackEnvironment);
    }

    /** The simulator's configuration, to compute what it answers. */
    SimulatorConfig simulatorConfig() {
        return SimulatorConfig.from(settings());
    }

    NodeProcess gateway() {
        return gateway;
    }

    NodeProcess stack() {
        return stack;
    }

    Optional<Long> brokerPid() {
        return stack.children().stream().map(ProcessHandle::pid).findFirst();
    }

    /** The processes whose CPU the benchmark reports, by role; {@code loadgen} is this JVM. */
    Map<String, Long> pids() {
        final Map<String, Long> pids = new LinkedHashMap<>();
        pids.put("gateway", gateway.pid());
        pids.put("stack", stack.pid());
        brokerPid().ifPresent(pid -> pids.put("broker", pid));
        pids.put("loadgen", ProcessHandle.current().pid());
        return pids;
    }

    @Override
    public void close() {
        for (final NodeProcess node : List.of(gateway, stack)) {
            node.close();
        }
    }
}
