package io.llmgw.app.keys;

import com.openai.client.okhttp.OpenAIOkHttpClient;
import io.llmgw.app.e2e.E2eStack;
import io.llmgw.gateway.GatewayServer;
import io.llmgw.settings.KafkaClientProps;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack that the managed-key tests share ({@code KeysIT}, {@code LimitsIT}): a router, workers and a gateway on
 * the shared broker under the prefix {@code keysit}, plus a second gateway instance, started once per test JVM and
 * stopped when it exits. Its own prefix keeps its keys (which make its gateways enforce keys) away from the other
 * end-to-end tests' open gateway; one stack for both classes keeps the suite's start-up cost to one.
 */
final class KeyedStack {

    static final String PREFIX = "keysit";

    private static KeyedStack shared;

    final E2eStack stack;
    final GatewayServer second;
    /** Base URLs ({@code .../v1}) of the two gateways. */
    final List<String> gateways;

    private KeyedStack(final E2eStack stack, final GatewayServer second) {
        this.stack = stack;
        this.second = second;
        this.gateways = List.of(stack.gatewayUrl(), "http://127.0.0.1:" + second.port() + "/v1");
    }

    static synchronized KeyedStack shared() throws InterruptedException {
        if (shared == null) {
            final long started = System.nanoTime();
            final String bootstrap = E2eStack.shared().settings().get(KafkaClientProps.BOOTSTRAP_SERVERS)
                    .orElseThrow();
            final E2eStack stack = E2eStack.start(Map.of(KafkaClientProps.BOOTSTRAP_SERVERS, bootstrap,
                    "TOPIC_PREFIX", PREFIX, "LIMIT_PARTITIONS", "3"));
            final GatewayServer second = GatewayServer.start(stack.settings().with(Map.of("GATEWAY_PORT", "0",
                    "GATEWAY_ID", "keysit-2")));
            assertTrue(second.awaitReady(Duration.ofSeconds(60)), "the second gateway is ready");
            assertTrue(stack.stack().gateway().awaitReady(Duration.ofSeconds(60)), "the first gateway is ready");
            shared = new KeyedStack(stack, second);
            // before any key exists (the gateways are open): both know both models
            for (final String url : shared.gateways) {
                await().atMost(Duration.ofSeconds(60)).until(() -> OpenAIOkHttpClient.builder().apiKey("none")
                        .baseUrl(url).maxRetries(0).build().models().list().data().size() == 2);
            }
            final KeyedStack stopping = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stopping.second.close();
                stopping.stack.close();
            }, "keyed-stack-stop"));
            System.out.printf("KeyedStack: two gateways under %s ready in %d ms%n", PREFIX,
                    (System.nanoTime() - started) / 1_000_000);
        }
        return shared;
    }
}
