package io.llmgw.app.deploy;

import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The environment variables the application reads, found in the main sources of every module: the first argument of
 * each {@code settings.get*(...)} and {@code System.getenv(...)} call, written as a literal ({@code "WORKER_THREADS"})
 * or as a constant ({@code GatewayConfig.PORT}, resolved through its {@code String PORT = "GATEWAY_PORT"}
 * declaration), plus the {@code KAFKA_*} passthrough, decided by the application's own rule.
 */
final class SettingsReads {

    private static final String GETTERS = "(?:get|getInt|getLong|getDouble|getBoolean|getSeconds|getList|getenv)";
    private static final Pattern LITERAL = Pattern.compile("\\b" + GETTERS + "\\(\\s*\"([A-Z][A-Z0-9_]*)\"");
    private static final Pattern CONSTANT = Pattern.compile(
            "\\b" + GETTERS + "\\(\\s*(?:[A-Za-z_][A-Za-z0-9_]*\\.)?([A-Z][A-Z0-9_]*)\\s*[,)]");
    private static final Pattern DECLARATION = Pattern.compile(
            "\\bString\\s+([A-Z][A-Z0-9_]*)\\s*=\\s*\"([A-Z][A-Z0-9_]*)\"\\s*;");

    private final Set<String> names;

    private SettingsReads(final Set<String> names) {
        this.names = names;
    }

    /** Scans {@code <root>/<module>/src/main/java} of every module. */
    static SettingsReads scan(final Path root) {
        final List<String> sources = mainSources(root);
        final Map<String, Set<String>> constants = new HashMap<>();
        for (final String source : sources) {
            final Matcher declaration = DECLARATION.matcher(source);
            while (declaration.find()) {
                constants.computeIfAbsent(declaration.group(1), k -> new HashSet<>()).add(declaration.group(2));
            }
        }
        final Set<String> names = new TreeSet<>();
        for (final String source : sources) {
            final Matcher literal = LITERAL.matcher(source);
            while (literal.find()) {
                names.add(literal.group(1));
            }
            final Matcher constant = CONSTANT.matcher(source);
            while (constant.find()) {
                names.addAll(constants.getOrDefault(constant.group(1), Set.of()));
            }
        }
        return new SettingsReads(names);
    }

    /** The variables read by name (the passthrough excluded). */
    Set<String> names() {
        return names;
    }

    /** Whether the application reads {@code variable}: by name, or as a {@code KAFKA_*} Kafka client property. */
    boolean reads(final String variable) {
        return names.contains(variable) || isKafkaClientProperty(variable);
    }

    /** The application's own passthrough rule: {@code KAFKA_SASL_MECHANISM} names {@code sasl.mechanism}. */
    static boolean isKafkaClientProperty(final String variable) {
        return !KafkaClientProps.passthroughNames(Settings.of(Map.of(variable, "x"))).isEmpty();
    }

    private static List<String> mainSources(final Path root) {
        try (Stream<Path> modules = Files.list(root)) {
            return modules.map(module -> module.resolve("src/main/java")).filter(Files::isDirectory)
                    .flatMap(SettingsReads::javaFiles).map(SettingsReads::read).toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Stream<Path> javaFiles(final Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".java")).toList().stream();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
