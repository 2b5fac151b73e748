package io.llmgw.app.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compose files, checked without a Docker engine: they parse, every variable an llmgw container is given is one
 * the application reads, every {@code ${VAR}} is documented in {@code .env.example}, every build and image reference
 * resolves (a Dockerfile, a pinned tag, existing bind-mount sources), services only depend on services that exist
 * (and have a health check when waited for), and every llmgw container runs a command {@code Llmgw} knows.
 */
class ComposeFilesTest {

    private static final Set<String> CONDITIONS = Set.of("service_started", "service_healthy",
            "service_completed_successfully");
    private static final Set<String> FLOATING_TAGS = Set.of("latest", "main", "master", "edge", "nightly", "stable");
    /** {@code case "dev" ->} and {@code case "help", "--help", "-h" ->} in Llmgw.main. */
    private static final Pattern COMMAND_CASE = Pattern.compile("case ((?:\"[a-z-]+\"(?:,\\s*)?)+) ->");
    private static final Pattern QUOTED = Pattern.compile("\"([a-z-]+)\"");

    private static Path root;
    private static SettingsReads reads;
    private static Map<String, String> envExample;
    private static Set<String> commands;

    @BeforeAll
    static void readRepository() {
        root = RepositoryFiles.root();
        reads = SettingsReads.scan(root);
        envExample = RepositoryFiles.envExample(root);
        commands = new TreeSet<>();
        final Matcher cases = COMMAND_CASE.matcher(
                RepositoryFiles.text(root.resolve("app/src/main/java/io/llmgw/app/Llmgw.java")));
        while (cases.find()) {
            final Matcher quoted = QUOTED.matcher(cases.group(1));
            while (quoted.find()) {
                commands.add(quoted.group(1));
            }
        }
    }

    private static Map<String, Map<String, Object>> services(final String file) {
        final Map<String, Map<String, Object>> services = new TreeMap<>();
        RepositoryFiles.map(RepositoryFiles.yaml(root.resolve(file)).get("services"))
                .forEach((name, service) -> services.put(name, RepositoryFiles.map(service)));
        assertFalse(services.isEmpty(), file + " defines services");
        return services;
    }

    private static boolean runsLlmgw(final Map<String, Object> service) {
        return service.containsKey("build") || String.valueOf(service.get("image")).startsWith("llmgw:");
    }

    /** {@code environment} as a map, whether the file writes it as a map or as a list of NAME=value. */
    private static Map<String, String> environment(final Map<String, Object> service) {
        final Map<String, String> env = new LinkedHashMap<>();
        final Object value = service.get("environment");
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> env.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else if (value instanceof List<?> list) {
            list.forEach(item -> {
                final String entry = String.valueOf(item);
                final int eq = entry.indexOf('=');
                env.put(eq < 0 ? entry : entry.substring(0, eq), eq < 0 ? "" : entry.substring(eq + 1));
            });
        }
        return env;
    }

    private static List<String> command(final Map<String, Object> service) {
        final Object value = service.get("command");
        if (value instanceof List<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        return value == null ? List.of() : List.of(String.valueOf(value).strip().split("\\s+"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "docker-compose.k8s.yml", "docker-compose.llm.yml"})
    void shouldOnlySetVariablesTheApplicationReadsWhenAServiceRunsTheLlmgwImage(final String file) {
        final Map<String, Set<String>> unknown = new TreeMap<>();
        services(file).forEach((name, service) -> {
            if (runsLlmgw(service)) {
                environment(service).keySet().stream().filter(variable -> !reads.reads(variable))
                        .forEach(variable -> unknown.computeIfAbsent(name, k -> new TreeSet<>()).add(variable));
            }
        });
        assertEquals(Map.of(), unknown, file + ": variables no llmgw code reads (typo, or a stale name?)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "docker-compose.k8s.yml", "docker-compose.llm.yml"})
    void shouldDocumentEveryInterpolatedVariableInEnvExample(final String file) {
        final Set<String> undocumented = new TreeSet<>(RepositoryFiles.interpolated(
                RepositoryFiles.text(root.resolve(file))));
        undocumented.removeAll(envExample.keySet());
        assertEquals(Set.of(), undocumented, file + ": ${VAR} without an entry in .env.example");
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "docker-compose.k8s.yml", "docker-compose.llm.yml"})
    void shouldResolveEveryBuildImageAndMountWhenReferenced(final String file) {
        final List<String> problems = new ArrayList<>();
        services(file).forEach((name, service) -> {
            final Object build = service.get("build");
            if (build != null) {
                final Map<String, Object> spec = build instanceof Map<?, ?> ? RepositoryFiles.map(build)
                        : Map.of("context", build);
                final Path context = root.resolve(String.valueOf(spec.getOrDefault("context", ".")));
                final Path dockerfile = context.resolve(String.valueOf(spec.getOrDefault("dockerfile", "Dockerfile")));
                if (!Files.isRegularFile(dockerfile)) {
                    problems.add(name + ": no Dockerfile at " + root.relativize(dockerfile));
                }
            } else {
                final String image = String.valueOf(service.get("image"));
                final int colon = image.lastIndexOf(':');
                if (service.get("image") == null || colon < 0 || image.lastIndexOf('/') > colon
                        || FLOATING_TAGS.contains(image.substring(colon + 1))) {
                    problems.add(name + ": image " + image + " is not pinned to a version tag");
                }
            }
            if (service.get("volumes") instanceof List<?> volumes) {
                for (final Object volume : volumes) {
                    final String source = String.valueOf(volume).split(":")[0];
                    if (source.startsWith(".") && !Files.exists(root.resolve(source))) {
                        problems.add(name + ": bind mount source " + source + " does not exist");
                    }
                }
            }
        });
        assertEquals(List.of(), problems, file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "docker-compose.k8s.yml", "docker-compose.llm.yml"})
    void shouldRunOnlyCommandsTheLauncherKnowsWhenAServiceRunsTheLlmgwImage(final String file) {
        assertTrue(commands.containsAll(Set.of("gateway", "router", "worker", "sim", "dev")), "read: " + commands);
        services(file).forEach((name, service) -> {
            if (runsLlmgw(service)) {
                final List<String> command = command(service);
                assertFalse(command.isEmpty(), file + ": " + name + " names its role");
                assertTrue(commands.contains(command.getFirst()), file + ": " + name + " runs unknown command "
                        + command + "; Llmgw knows " + commands);
                if (command.size() > 1) {
                    assertEquals("worker", command.getFirst(), name + ": only worker takes options");
                    assertEquals("--model", command.get(1), name + ": worker's only option is --model NAME");
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "docker-compose.k8s.yml", "docker-compose.llm.yml"})
    void shouldDependOnlyOnDefinedServicesAndWaitForHealthOnlyWhereThereIsACheck(final String file) {
        final Map<String, Map<String, Object>> services = services(file);
        services.forEach((name, service) -> {
            final Object dependsOn = service.get("depends_on");
            final Map<String, Object> dependencies = new LinkedHashMap<>();
            if (dependsOn instanceof List<?> list) {
                list.forEach(target -> dependencies.put(String.valueOf(target), Map.of()));
            } else {
                dependencies.putAll(RepositoryFiles.map(dependsOn));
            }
            dependencies.forEach((target, spec) -> {
                assertTrue(services.containsKey(target), file + ": " + name + " depends on unknown " + target);
                final Object condition = RepositoryFiles.map(spec).getOrDefault("condition", "service_started");
                assertTrue(CONDITIONS.contains(String.valueOf(condition)), name + ": condition " + condition);
                if ("service_healthy".equals(condition)) {
                    assertTrue(services.get(target).containsKey("healthcheck"),
                            file + ": " + name + " waits for " + target + " to be healthy, which has no health check");
                }
                assertTrue(profiles(services.get(target)).isEmpty() || profiles(service).containsAll(
                        profiles(services.get(target))), file + ": " + name + " depends on " + target
                        + ", which only runs in profiles " + profiles(services.get(target)));
            });
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "docker-compose.k8s.yml", "docker-compose.llm.yml"})
    void shouldGiveEveryServiceAHealthCheckAndARestartPolicy(final String file) {
        services(file).forEach((name, service) -> {
            assertTrue(service.containsKey("healthcheck"), file + ": " + name + " has no health check");
            assertTrue(Set.of("always", "unless-stopped", "on-failure").contains(
                    String.valueOf(service.get("restart")).replaceFirst(":\\d+$", "")),
                    file + ": " + name + " restarts " + service.get("restart"));
        });
    }

    @Test
    void shouldRunEverythingWithKafkaInKraftModeAndTheSimulatorWhenComposedWhole() {
        final Map<String, Map<String, Object>> services = services("docker-compose.yml");

        assertTrue(services.keySet().containsAll(Set.of("kafka", "kafka-ui", "router", "gateway", "sim",
                "worker-inhouse", "worker-openai", "prometheus", "grafana")), services.keySet().toString());
        assertFalse(services.keySet().stream().anyMatch(s -> s.contains("zookeeper")), "KRaft needs no ZooKeeper");
        final Map<String, String> kafka = environment(services.get("kafka"));
        assertTrue(String.valueOf(services.get("kafka").get("image")).startsWith("apache/kafka:"));
        assertEquals("broker,controller", kafka.get("KAFKA_PROCESS_ROLES"));
        assertTrue(String.valueOf(services.get("kafka-ui").get("image")).startsWith("kafbat/kafka-ui:"));
        assertEquals(List.of("8080:8080"), services.get("kafka-ui").get("ports"));
        final String internalListener = environment(services.get("kafka-ui")).get("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS");
        assertTrue(kafka.get("KAFKA_ADVERTISED_LISTENERS").contains("//" + internalListener),
                "Kafka UI uses an advertised listener");
        services.forEach((name, service) -> {
            if (runsLlmgw(service) && !command(service).getFirst().equals("sim")) {
                assertEquals(internalListener, environment(service).get("BOOTSTRAP_SERVERS"), name);
            }
        });
        assertEquals(List.of("${GATEWAY_PUBLISHED_PORTS:-8000-8002}:8000"), services.get("gateway").get("ports"));
        for (final String worker : List.of("worker-inhouse", "worker-openai")) {
            assertTrue(RepositoryFiles.map(services.get(worker).get("deploy")).containsKey("replicas"), worker);
            assertTrue(environment(services.get(worker)).get("OPENAI_HOST").endsWith(":-http://sim:8100/v1}"),
                    worker + " answers through the simulator until a host is configured");
        }
        assertEquals(List.of("monitoring"), services.get("prometheus").get("profiles"));
        assertEquals(List.of("monitoring"), services.get("grafana").get("profiles"));
    }

    @Test
    void shouldHoldOnlyKafkaAndKafkaUiWhenComposedForAnExternalCluster() {
        assertEquals(Set.of("kafka", "kafka-ui"), services("docker-compose.k8s.yml").keySet());
    }

    @Test
    void shouldRunTheLlmgwProcessesAgainstTheGivenBootstrapServersWhenComposedWithoutKafka() {
        final Map<String, Map<String, Object>> services = services("docker-compose.llm.yml");
        final Set<String> llmgw = new TreeSet<>();
        services.forEach((name, service) -> {
            if (runsLlmgw(service)) {
                llmgw.add(name);
                assertTrue(environment(service).get("BOOTSTRAP_SERVERS").startsWith("${BOOTSTRAP_SERVERS:?"), name);
            }
        });
        assertEquals(Set.of("gateway", "router", "worker-inhouse", "worker-openai"), llmgw);
        assertFalse(services.containsKey("kafka"));
    }

    /** Issue 10 part 5: {@code deploy.replicas: 3} on the gateway works because nothing in it is per instance. */
    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "docker-compose.llm.yml"})
    void shouldLetTheGatewayRunAsSeveralReplicasWithNoPerInstanceSetting(final String file) {
        final Map<String, Object> gateway = services(file).get("gateway");
        assertTrue(RepositoryFiles.map(gateway.get("deploy")).containsKey("replicas"), file + ": deploy.replicas");
        assertFalse(gateway.containsKey("container_name"), file + ": a container name cannot be replicated");
        final Map<String, String> env = environment(gateway);
        for (final String perInstance : List.of("GATEWAY_ID", "GATEWAY_REPLY_PARTITIONS", "GATEWAY_ADVERTISED_HOST")) {
            assertFalse(env.containsKey(perInstance), file + ": " + perInstance + " would be shared by every replica");
        }
        final List<?> ports = (List<?>) gateway.get("ports");
        final Matcher range = Pattern.compile("\\$\\{GATEWAY_PUBLISHED_PORTS:-(\\d+)-(\\d+)}:8000")
                .matcher(String.valueOf(ports.getFirst()));
        assertTrue(range.matches(), file + ": a host port range, one port per replica: " + ports);
        assertTrue(Integer.parseInt(range.group(2)) - Integer.parseInt(range.group(1)) >= 2,
                file + ": room for three replicas by default: " + ports);
    }

    private static List<String> profiles(final Map<String, Object> service) {
        return service.get("profiles") instanceof List<?> list ? list.stream().map(String::valueOf).toList()
                : List.of();
    }
}
