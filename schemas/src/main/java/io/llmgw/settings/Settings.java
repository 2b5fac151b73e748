package io.llmgw.settings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Configuration as the predecessor took it: environment variables, with a {@code .env} file in the working directory
 * filling in what the environment does not set (the environment wins). Parsed once, read everywhere through this.
 */
public final class Settings {

    private final Map<String, String> values;

    private Settings(final Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /** The process environment over {@code ./.env}. */
    public static Settings load() {
        return load(Path.of(".env"), System.getenv());
    }

    public static Settings load(final Path dotEnv, final Map<String, String> environment) {
        final Map<String, String> merged = new HashMap<>(readDotEnv(dotEnv));
        merged.putAll(environment);
        return new Settings(merged);
    }

    public static Settings of(final Map<String, String> values) {
        return new Settings(values);
    }

    /** A copy with some values replaced, as the dev launcher does for {@code BOOTSTRAP_SERVERS}. */
    public Settings with(final Map<String, String> overrides) {
        final Map<String, String> merged = new HashMap<>(values);
        merged.putAll(overrides);
        return new Settings(merged);
    }

    public Optional<String> get(final String name) {
        final String value = values.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    public String get(final String name, final String defaultValue) {
        return get(name).orElse(defaultValue);
    }

    public int getInt(final String name, final int defaultValue) {
        return get(name).map(v -> parse(name, v, Integer::parseInt)).orElse(defaultValue);
    }

    public long getLong(final String name, final long defaultValue) {
        return get(name).map(v -> parse(name, v, Long::parseLong)).orElse(defaultValue);
    }

    public double getDouble(final String name, final double defaultValue) {
        return get(name).map(v -> parse(name, v, Double::parseDouble)).orElse(defaultValue);
    }

    /** A duration given in seconds, decimals allowed ({@code 0.5}); see {@link Seconds}. */
    public Duration getSeconds(final String name, final Duration defaultValue) {
        return get(name).map(v -> Seconds.parse(v).orElseThrow(
                () -> new IllegalArgumentException(name + " has an invalid value: " + v + " (seconds expected)")))
                .orElse(defaultValue);
    }

    public List<String> getList(final String name) {
        return get(name).map(v -> List.of(v.split("\\s*,\\s*"))).orElse(List.of()).stream()
                .filter(s -> !s.isBlank()).toList();
    }

    /** Every setting whose name starts with {@code prefix}, sorted by name. */
    public Map<String, String> withPrefix(final String prefix) {
        final Map<String, String> matching = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix) && v != null && !v.isBlank()) {
                matching.put(k, v.trim());
            }
        });
        return matching;
    }

    private static <T> T parse(final String name, final String value, final java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(value.trim());
        } catch (final RuntimeException e) {
            throw new IllegalArgumentException(name + " has an invalid value: " + value, e);
        }
    }

    /** KEY=VALUE lines; {@code #} comments, blank lines, {@code export } prefixes and quotes are allowed. */
    static Map<String, String> readDotEnv(final Path file) {
        final Map<String, String> values = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return values;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (line.startsWith("export ")) {
                    line = line.substring("export ".length()).strip();
                }
                final int eq = line.indexOf('=');
                if (eq <= 0) {
                    continue;
                }
                final String key = line.substring(0, eq).strip();
                String value = line.substring(eq + 1).strip();
                if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                        || value.startsWith("'") && value.endsWith("'"))) {
                    value = value.substring(1, value.length() - 1);
                } else {
                    final int comment = value.indexOf(" #");
                    if (comment >= 0) {
                        value = value.substring(0, comment).strip();
                    }
                }
                values.put(key, value);
            }
        } catch (final IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
        return values;
    }
}
