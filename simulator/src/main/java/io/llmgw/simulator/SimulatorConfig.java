package io.llmgw.simulator;

import io.llmgw.settings.Settings;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How the simulated LLM host behaves when a request does not say otherwise (requests override timing per call through
 * {@code x_sim}, see {@link InjectedFaults}). Read once from {@link Settings}; the {@code with*} copies are for tests.
 *
 * @param host            address to bind; loopback unless a container must be reachable from outside
 * @param port            port to bind, 0 for a free one
 * @param ttft            time to first token
 * @param tokensPerSecond pace of the following tokens; 0 sends them as fast as possible
 * @param jitter          0..1: each delay varies randomly by up to this fraction, either way
 * @param maxTokens       cap on generated tokens when the request sets none
 * @param payloadBytes    when above 0, replies are padded to about this many bytes of text (payload benchmarks)
 * @param models          what {@code GET /v1/models} lists; requests may name any model
 * @param recentRequests  how many received requests the simulator keeps for tests to inspect
 */
public record SimulatorConfig(String host, int port, Duration ttft, double tokensPerSecond, double jitter,
                              int maxTokens, int payloadBytes, List<String> models, int recentRequests) {

    public static final String HOST_CONFIG = "SIM_HOST";
    public static final String HOST_DOC = "Address the simulator binds to.";
    public static final String DEFAULT_HOST = "127.0.0.1";

    public static final String PORT_CONFIG = "SIM_PORT";
    public static final String PORT_DOC = "Port of the simulator; 0 picks a free port.";
    public static final int DEFAULT_PORT = 0;

    public static final String TTFT_MS_CONFIG = "SIM_TTFT_MS";
    public static final String TTFT_MS_DOC = "Time to first token in milliseconds.";
    public static final long DEFAULT_TTFT_MS = 20;

    public static final String TOKENS_PER_SECOND_CONFIG = "SIM_TOKENS_PER_SECOND";
    public static final String TOKENS_PER_SECOND_DOC = "Tokens per second after the first; 0 = as fast as possible.";
    public static final double DEFAULT_TOKENS_PER_SECOND = 50;

    public static final String JITTER_CONFIG = "SIM_JITTER";
    public static final String JITTER_DOC = "Random jitter on every delay, as a fraction 0..1 of the delay.";
    public static final double DEFAULT_JITTER = 0;

    public static final String MAX_TOKENS_CONFIG = "SIM_MAX_TOKENS";
    public static final String MAX_TOKENS_DOC = "Token cap when a request gives no max_tokens / max_completion_tokens.";
    public static final int DEFAULT_MAX_TOKENS = 64;

    public static final String PAYLOAD_BYTES_CONFIG = "SIM_PAYLOAD_BYTES";
    public static final String PAYLOAD_BYTES_DOC = "Pad reply text to about this many bytes; 0 = no padding.";
    public static final int DEFAULT_PAYLOAD_BYTES = 0;

    public static final String MODELS_CONFIG = "SIM_MODELS";
    public static final String MODELS_DOC = "Comma-separated model names listed by GET /v1/models.";
    public static final List<String> DEFAULT_MODELS = List.of("Qwen/Qwen2.5-72B-Instruct-AWQ", "gpt-4o-mini");

    public static final String RECENT_REQUESTS_CONFIG = "SIM_RECENT_REQUESTS";
    public static final String RECENT_REQUESTS_DOC = "How many received requests are kept for inspection.";
    public static final int DEFAULT_RECENT_REQUESTS = 100;

    public SimulatorConfig {
        require(host != null && !host.isBlank(), HOST_CONFIG, host);
        require(port >= 0 && port <= 65_535, PORT_CONFIG, port);
        require(ttft != null && !ttft.isNegative(), TTFT_MS_CONFIG, ttft);
        require(tokensPerSecond >= 0 && Double.isFinite(tokensPerSecond), TOKENS_PER_SECOND_CONFIG, tokensPerSecond);
        require(jitter >= 0 && jitter <= 1, JITTER_CONFIG, jitter);
        require(maxTokens >= 1, MAX_TOKENS_CONFIG, maxTokens);
        require(payloadBytes >= 0, PAYLOAD_BYTES_CONFIG, payloadBytes);
        require(models != null && !models.isEmpty(), MODELS_CONFIG, models);
        require(recentRequests >= 0, RECENT_REQUESTS_CONFIG, recentRequests);
        models = List.copyOf(models);
    }

    /** Every setting at its default. */
    public static SimulatorConfig defaults() {
        return from(Settings.of(Map.of()));
    }

    public static SimulatorConfig from(final Settings settings) {
        final List<String> models = settings.getList(MODELS_CONFIG);
        return new SimulatorConfig(
                settings.get(HOST_CONFIG, DEFAULT_HOST),
                settings.getInt(PORT_CONFIG, DEFAULT_PORT),
                Duration.ofMillis(settings.getLong(TTFT_MS_CONFIG, DEFAULT_TTFT_MS)),
                settings.getDouble(TOKENS_PER_SECOND_CONFIG, DEFAULT_TOKENS_PER_SECOND),
                settings.getDouble(JITTER_CONFIG, DEFAULT_JITTER),
                settings.getInt(MAX_TOKENS_CONFIG, DEFAULT_MAX_TOKENS),
                settings.getInt(PAYLOAD_BYTES_CONFIG, DEFAULT_PAYLOAD_BYTES),
                models.isEmpty() ? DEFAULT_MODELS : models,
                settings.getInt(RECENT_REQUESTS_CONFIG, DEFAULT_RECENT_REQUESTS));
    }

    public SimulatorConfig withTtft(final Duration newTtft) {
        return new SimulatorConfig(host, port, newTtft, tokensPerSecond, jitter, maxTokens, payloadBytes, models,
                recentRequests);
    }

    public SimulatorConfig withTokensPerSecond(final double newTokensPerSecond) {
        return new SimulatorConfig(host, port, ttft, newTokensPerSecond, jitter, maxTokens, payloadBytes, models,
                recentRequests);
    }

    public SimulatorConfig withJitter(final double newJitter) {
        return new SimulatorConfig(host, port, ttft, tokensPerSecond, newJitter, maxTokens, payloadBytes, models,
                recentRequests);
    }

    public SimulatorConfig withMaxTokens(final int newMaxTokens) {
        return new SimulatorConfig(host, port, ttft, tokensPerSecond, jitter, newMaxTokens, payloadBytes, models,
                recentRequests);
    }

    public SimulatorConfig withPayloadBytes(final int newPayloadBytes) {
        return new SimulatorConfig(host, port, ttft, tokensPerSecond, jitter, maxTokens, newPayloadBytes, models,
                recentRequests);
    }

    /** No waiting at all: what most tests want. */
    public SimulatorConfig withoutDelays() {
        return withTtft(Duration.ZERO).withTokensPerSecond(0).withJitter(0);
    }

    private static void require(final boolean valid, final String name, final Object value) {
        if (!valid) {
            throw new IllegalArgumentException(name + " has an invalid value: " + value);
        }
    }
}
