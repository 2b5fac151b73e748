package io.llmgw.app.e2e;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import io.llmgw.app.DevStack;
import io.llmgw.settings.Settings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The whole product for end-to-end tests, started once per test JVM: a real KRaft broker in a child JVM (or the
 * cluster named by {@code BOOTSTRAP_SERVERS}), the simulator as the LLM host, router, one worker per model and the
 * gateway on a free port, exactly as {@code ./llmgw dev} wires them.
 */
public final class E2eStack implements AutoCloseable {

    public static final String QWEN = "Qwen/Qwen2.5-72B-Instruct-AWQ";
    public static final String GPT = "gpt-4o-mini";

    private final DevStack stack;

    private E2eStack(final DevStack stack) {
        this.stack = stack;
    }

    private static E2eStack shared;

    /** The stack shared by every end-to-end test class of this JVM; stopped when the test JVM exits. */
    public static synchronized E2eStack shared() {
        if (shared == null) {
            shared = start(Map.of());
            final E2eStack stopping = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(stopping::close, "e2e-stack-stop"));
        }
        return shared;
    }

    public static E2eStack start(final Map<String, String> extra) {
        try {
            final Path dataDir = Files.createTempDirectory("llmgw-e2e-");
            final Map<String, String> values = new HashMap<>(baseSettings());
            values.put("STATE_DIR", dataDir.resolve("state").toString());
            values.putAll(extra);
            return new E2eStack(DevStack.start(Settings.of(values), new DevStack.Options(dataDir)));
        } catch (final Exception e) {
            throw new IllegalStateException("cannot start the end-to-end stack: " + e.getMessage(), e);
        }
    }

    static Map<String, String> baseSettings() {
        final Map<String, String> values = new HashMap<>();
        values.put("GATEWAY_PORT", "0");
        values.put("SIM_PORT", "0");
        values.put("SIM_MODELS", QWEN + "," + GPT);
        values.put("SIM_TTFT_MS", "5");
        values.put("SIM_TOKENS_PER_SECOND", "500");
        values.put("REQUEST_PARTITIONS", "3");
        values.put("MODEL_PARTITIONS", "3");
        values.put("EVENT_PARTITIONS", "3");
        values.put("GATEWAY_REQUEST_TIMEOUT", "60");
        values.put("WORKER_RETRY_BACKOFF", "0.05");
        return values;
    }

    public DevStack stack() {
        return stack;
    }

    public Settings settings() {
        return stack.settings();
    }

    public String gatewayUrl() {
        return "http://127.0.0.1:" + stack.gateway().port() + "/v1";
    }

    public OpenAIClient client() {
        return OpenAIOkHttpClient.builder()
                .apiKey("token")
                .baseUrl(gatewayUrl())
                .maxRetries(0)
                .timeout(Duration.ofSeconds(60))
                .build();
    }

    @Override
    public void close() {
        stack.close();
    }
}
