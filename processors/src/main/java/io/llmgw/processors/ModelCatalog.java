package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;
import io.llmgw.settings.Seconds;
import io.llmgw.settings.Settings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The models this deployment's workers serve, from settings.
 *
 * <ul>
 *   <li>{@code MODELS_FILE}: a JSON file {@code {"models": [{"name", "host", "token" | "token_env", "upstream_model",
 *       "concurrency", "first_token_timeout", "idle_timeout", "total_timeout", "max_attempts", "retry_backoff",
 *       "fallback"}]}}; {@code fallback} names another model of the file;
 *       {@code token_env} names a setting that holds the token, so secrets stay out of the file; timeouts are seconds
 *       (decimals allowed); fields left out take the defaults below;</li>
 *   <li>else {@code OPENAI_HOST} + {@code OPENAI_MODEL_NAME} (+ {@code OPENAI_TOKEN}): one model, as the predecessor
 *       configured its worker;</li>
 *   <li>else no model (the launcher then starts the simulator and configures models itself).</li>
 * </ul>
 * Defaults: {@code WORKER_CONCURRENCY} 64, {@code WORKER_FIRST_TOKEN_TIMEOUT} 120 s, {@code WORKER_IDLE_TIMEOUT} 60 s,
 * {@code WORKER_TOTAL_TIMEOUT} 600 s, {@code WORKER_MAX_ATTEMPTS} 3, {@code WORKER_RETRY_BACKOFF} 0.25 s.
 */
public final class ModelCatalog {

    public static final String MODELS_FILE = "MODELS_FILE";

    private static final Set<String> FIELDS = Set.of("name", "host", "token", "token_env", "upstream_model",
            "concurrency", "first_token_timeout", "idle_timeout", "total_timeout", "max_attempts", "retry_backoff",
            "fallback");

    private ModelCatalog() {
    }

    public static List<ModelSpec> load(final Settings settings) {
        final Defaults defaults = Defaults.from(settings);
        final var file = settings.get(MODELS_FILE);
        if (file.isPresent()) {
            return fromFile(Path.of(file.get()), settings, defaults);
        }
        final var host = settings.get("OPENAI_HOST");
        final var name = settings.get("OPENAI_MODEL_NAME");
        if (host.isPresent() && name.isPresent()) {
            return List.of(defaults.spec(name.get(), host.get(), settings.get("OPENAI_TOKEN").orElse(null), null));
        }
        if (host.isPresent() || name.isPresent()) {
            throw new IllegalArgumentException("OPENAI_HOST and OPENAI_MODEL_NAME go together: set both or neither");
        }
        return List.of();
    }

    /**
     * Models all served by one host with the default settings: what the launcher uses when it starts the built-in
     * simulator because nothing is configured.
     */
    public static List<ModelSpec> forHost(final Settings settings, final List<String> names, final String baseUrl,
                                          final String token) {
        final Defaults defaults = Defaults.from(settings);
        return names.stream().map(name -> defaults.spec(name, baseUrl, token, null)).toList();
    }

    /** The defaults every model starts from; also what the launcher uses for models it configures itself. */
    public record Defaults(int concurrency, Duration firstTokenTimeout, Duration idleTimeout, Duration totalTimeout,
                           int maxAttempts, Duration retryBackoff) {

        public static Defaults from(final Settings settings) {
            return new Defaults(
                    settings.getInt("WORKER_CONCURRENCY", 64),
                    settings.getSeconds("WORKER_FIRST_TOKEN_TIMEOUT", Duration.ofSeconds(120)),
                    settings.getSeconds("WORKER_IDLE_TIMEOUT", Duration.ofSeconds(60)),
                    settings.getSeconds("WORKER_TOTAL_TIMEOUT", Duration.ofSeconds(600)),
                    settings.getInt("WORKER_MAX_ATTEMPTS", 3),
                    settings.getSeconds("WORKER_RETRY_BACKOFF", Duration.ofMillis(250)));
        }

        public ModelSpec spec(final String name, final String baseUrl, final String token, final String upstreamModel) {
            return new ModelSpec(name, baseUrl, token, upstreamModel, concurrency, firstTokenTimeout, idleTimeout,
                    totalTimeout, maxAttempts, retryBackoff);
        }
    }

    static List<ModelSpec> fromFile(final Path file, final Settings settings, final Defaults defaults) {
        final JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readAllBytes(file));
        } catch (final IOException e) {
            throw new IllegalArgumentException(MODELS_FILE + " " + file + " cannot be read as JSON: " + e.getMessage(), e);
        }
        final JsonNode models = root == null ? null : root.get("models");
        if (models == null || !models.isArray()) {
            throw new IllegalArgumentException(MODELS_FILE + " " + file + " must be an object with a \"models\" array");
        }
        final List<ModelSpec> specs = new ArrayList<>();
        final Set<String> names = new HashSet<>();
        for (int i = 0; i < models.size(); i++) {
            final String where = file + " models[" + i + "]";
            final ModelSpec spec;
            try {
                spec = entry(models.get(i), where, settings, defaults);
            } catch (final IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            if (!names.add(spec.name())) {
                throw new IllegalArgumentException(where + ": model " + spec.name() + " is listed twice");
            }
            specs.add(spec);
        }
        for (final ModelSpec spec : specs) {
            if (spec.fallback() != null && !names.contains(spec.fallback())) {
                throw new IllegalArgumentException(file + ": model " + spec.name() + " falls back to "
                        + spec.fallback() + ", which the file does not list");
            }
        }
        return List.copyOf(specs);
    }

    private static ModelSpec entry(final JsonNode node, final String where, final Settings settings,
                                   final Defaults defaults) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("must be an object");
        }
        for (final Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            final String field = it.next();
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown field \"" + field + "\" (known: " + String.join(", ",
                        FIELDS.stream().sorted().toList()) + ")");
            }
        }
        final String name = text(node, "name");
        if (name == null) {
            throw new IllegalArgumentException("\"name\" is required");
        }
        final String token = token(node, settings);
        return new ModelSpec(name, text(node, "host"), token, text(node, "upstream_model"),
                integer(node, "concurrency", defaults.concurrency()),
                seconds(node, "first_token_timeout", defaults.firstTokenTimeout()),
                seconds(node, "idle_timeout", defaults.idleTimeout()),
                seconds(node, "total_timeout", defaults.totalTimeout()),
                integer(node, "max_attempts", defaults.maxAttempts()),
                seconds(node, "retry_backoff", defaults.retryBackoff()),
                text(node, "fallback"));
    }

    private static String token(final JsonNode node, final Settings settings) {
        final String token = text(node, "token");
        final String tokenEnv = text(node, "token_env");
        if (token != null && tokenEnv != null) {
            throw new IllegalArgumentException("give \"token\" or \"token_env\", not both");
        }
        if (tokenEnv == null) {
            return token;
        }
        return settings.get(tokenEnv).orElseThrow(() -> new IllegalArgumentException(
                "\"token_env\" names " + tokenEnv + ", which is not set"));
    }

    private static String text(final JsonNode node, final String field) {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a string");
        }
        return value.asText();
    }

    private static int integer(final JsonNode node, final String field, final int defaultValue) {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return defaultValue;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a whole number, got " + value);
        }
        return value.intValue();
    }

    private static Duration seconds(final JsonNode node, final String field, final Duration defaultValue) {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return defaultValue;
        }
        if (!value.isNumber()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a number of seconds, got " + value);
        }
        return Seconds.of(value.decimalValue());
    }
}
