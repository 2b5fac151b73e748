package io.llmgw.app.deploy;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The repository's deployment files as the tests read them: root found from the module, YAML, .env.example. */
final class RepositoryFiles {

    /** {@code ${NAME}}, {@code ${NAME:-default}}, {@code ${NAME-default}}, {@code ${NAME:?message}}, ... */
    private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:[:]?[-?+][^}]*)?}");
    /** {@code NAME=value} or {@code # NAME=value}: an entry, set or shown with its default. */
    private static final Pattern ENV_ENTRY = Pattern.compile("^#?\\s*([A-Z][A-Z0-9_]*)=", Pattern.MULTILINE);

    private RepositoryFiles() {
    }

    /** The repository root: tests run in the module directory, one level below. */
    static Path root() {
        final Path root = Path.of("..").toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve("app"))) {
            throw new IllegalStateException("not the repository root: " + root);
        }
        return root;
    }

    static String text(final Path file) {
        try {
            return Files.readString(file);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A YAML document as maps and lists, anchors, aliases and {@code <<} merge keys resolved as Compose does. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(final Path file) {
        final Object document = new Yaml(new SafeConstructor(new LoaderOptions())).load(text(file));
        if (!(document instanceof Map<?, ?> map)) {
            throw new AssertionError(file + " is not a YAML mapping");
        }
        return (Map<String, Object>) map;
    }

    /** The variables a text interpolates, in order of appearance. */
    static Set<String> interpolated(final String text) {
        final Set<String> names = new TreeSet<>();
        final Matcher matcher = INTERPOLATION.matcher(text);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    /** The entries of {@code .env.example}, each with the comment lines just above it. */
    static Map<String, String> envExample(final Path root) {
        final Map<String, String> entries = new TreeMap<>();
        final List<String> lines = text(root.resolve(".env.example")).lines().toList();
        final StringBuilder comment = new StringBuilder();
        for (final String line : lines) {
            final Matcher entry = ENV_ENTRY.matcher(line);
            if (entry.find()) {
                entries.put(entry.group(1), comment.toString().strip());
                comment.setLength(0);
            } else if (line.startsWith("#")) {
                comment.append(line.substring(1).strip()).append(' ');
            } else {
                comment.setLength(0);
            }
        }
        return entries;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(final Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : new LinkedHashMap<>();
    }
}
