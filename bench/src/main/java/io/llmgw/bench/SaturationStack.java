package io.llmgw.bench;

import io.llmgw.processors.WorkerService;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The system under test of the saturated cases: a {@code stack} node ({@code ./llmgw dev} with its gateway taking the
 * load, its worker instance {@code sat-a} pointed at one {@link PacedHost} with {@code WORKER_CONCURRENCY} slots), and
 * on demand a second worker instance {@code sat-b} in a node of its own with a host of its own, so that each host
 * counts one instance's calls and the second instance can be killed without killing the broker.
 */
final class SaturationStack implements AutoCloseable {

    static final String MODEL = "llmgw-saturated";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final NodeProcess stack;
    private final Map<String, String> base;
    private final int slots;
    private final Path outDir;

    private SaturationStack(final NodeProcess stack, final Map<String, String> base, final int slots,
                            final Path outDir) {
        this.stack = stack;
        this.base = base;
        this.slots = slots;
        this.outDir = outDir;
    }

    static SaturationStack start(final Settings settings, final int slots, final PacedHost host, final Path outDir)
            throws IOException, InterruptedException {
        final Map<String, String> base = new HashMap<>(settings.withPrefix(""));
        base.keySet().removeAll(BenchStack.IGNORED);
        base.put("WORKER_CONCURRENCY", Integer.toString(slots));
        base.put("OPENAI_MODEL_NAME", MODEL);
        base.putIfAbsent("GATEWAY_REQUEST_TIMEOUT", "120");
        final int[] ports = BenchStack.freePorts(2);
        final Map<String, String> env = new HashMap<>(base);
        env.put("LLMGW_BROKER_PORT", Integer.toString(ports[0]));
        env.put("LLMGW_BROKER_CONTROLLER_PORT", Integer.toString(ports[1]));
        env.put("OPENAI_HOST", host.baseUrl());
        env.put("WORKER_INSTANCE_ID", "sat-a");
        env.put("GATEWAY_PORT", "0");
        env.put("GATEWAY_HOST", "127.0.0.1");
        final NodeProcess stack = NodeProcess.launch(BenchNode.STACK, env,
                settings.get(BenchStack.NODE_HEAP, BenchStack.DEFAULT_NODE_HEAP), outDir.resolve("saturated-stack.log"));
        try {
            stack.awaitReady(READY_TIMEOUT);
            base.put(KafkaClientProps.BOOTSTRAP_SERVERS, stack.ready("bootstrap"));
            final SaturationStack started = new SaturationStack(stack, base, slots, outDir);
            BenchStack.awaitModelListed(started.gatewayUrl(), MODEL, READY_TIMEOUT);
            return started;
        } catch (final InterruptedException | RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    /** Starts worker instance {@code sat-b} for the model against {@code host}; returns once its tasks run. */
    NodeProcess startSecondWorker(final PacedHost host) throws IOException, InterruptedException {
        final Map<String, String> env = new HashMap<>(base);
        env.put("OPENAI_HOST", host.baseUrl());
        env.put("WORKER_INSTANCE_ID", "sat-b");
        env.put("STATE_DIR", Files.createTempDirectory("llmgw-bench-sat-b").toString());
        final NodeProcess worker = NodeProcess.launch(BenchNode.WORKER, env,
                base.getOrDefault(BenchStack.NODE_HEAP, BenchStack.DEFAULT_NODE_HEAP),
                outDir.resolve("saturated-worker-b.log"));
        try {
            worker.awaitReady(READY_TIMEOUT);
            awaitBothInstancesOwnPartitions();
            return worker;
        } catch (final InterruptedException | RuntimeException e) {
            worker.close();
            throw e;
        }
    }

    /**
     * Ready means the new instance's first tasks run; the group may still move tasks from {@code sat-a} to it. A
     * move while calls run aborts them (their partitions re-run them), which is a rebalance the kill case is not
     * about: it starts once the group is stable with both instances owning partitions.
     */
    private void awaitBothInstancesOwnPartitions() throws InterruptedException {
        final String group = WorkerService.applicationId(new Topics(base.getOrDefault("TOPIC_PREFIX",
                Topics.DEFAULT_PREFIX)), MODEL);
        final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                base.get(KafkaClientProps.BOOTSTRAP_SERVERS)))) {
            while (!stableWithTwoOwners(admin, group)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the worker group " + group + " did not settle on two owners");
                }
                // the group's state lives in the broker: nothing to wait on but another look
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
    }

    private static boolean stableWithTwoOwners(final Admin admin, final String group) throws InterruptedException {
        try {
            final ConsumerGroupDescription described = admin.describeConsumerGroups(List.of(group))
                    .describedGroups().get(group).get(5, TimeUnit.SECONDS);
            return described.groupState() == GroupState.STABLE && described.members().size() == 2
                    && described.members().stream().noneMatch(m -> m.assignment().topicPartitions().isEmpty());
        } catch (final ExecutionException | TimeoutException e) {
            return false;
        }
    }

    URI gatewayUrl() {
        return URI.create("http://127.0.0.1:" + stack.ready("gateway") + "/v1");
    }

    /** The stack node's process (router, worker {@code sat-a}, gateway; the broker is a child JVM of its own). */
    long pid() {
        return stack.pid();
    }

    String bootstrap() {
        return base.get(KafkaClientProps.BOOTSTRAP_SERVERS);
    }

    String eventsTopic() {
        return new Topics(base.getOrDefault("TOPIC_PREFIX", Topics.DEFAULT_PREFIX)).events().name();
    }

    int slots() {
        return slots;
    }

    @Override
    public void close() {
        stack.close();
    }
}
