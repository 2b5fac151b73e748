package io.llmgw.app.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds the directory with the broker's jars ({@code broker/target/lib}: the broker module's jar and Kafka's server
 * jars, kept off the application's classpath). Explicit settings win and must be right; otherwise the build output is
 * searched for from the working directory and from the location of the application's own jar, each with its parents.
 */
public final class BrokerLib {

    public static final String PROPERTY = "llmgw.broker.lib";
    public static final String ENV = "LLMGW_BROKER_LIB";
    static final Path BUILD_OUTPUT = Path.of("broker", "target", "lib");

    private BrokerLib() {
    }

    /** System property {@value #PROPERTY}, then env {@value #ENV}, then {@code broker/target/lib} nearby. */
    public static Path locate() {
        return locate(System.getProperty(PROPERTY), System.getenv(ENV), Path.of("").toAbsolutePath(), codeLocation());
    }

    static Path locate(final String property, final String env, final Path workingDir, final Optional<Path> codeLocation) {
        if (property != null && !property.isBlank()) {
            return require(Path.of(property.strip()), "-D" + PROPERTY);
        }
        if (env != null && !env.isBlank()) {
            return require(Path.of(env.strip()), ENV);
        }
        final Set<Path> tried = new LinkedHashSet<>();
        final List<Path> roots = new ArrayList<>();
        roots.add(workingDir.toAbsolutePath().normalize());
        codeLocation.ifPresent(location -> roots.add(location.toAbsolutePath().normalize()));
        for (final Path root : roots) {
            for (Path dir = root; dir != null; dir = dir.getParent()) {
                final Path candidate = dir.resolve(BUILD_OUTPUT);
                if (tried.add(candidate) && isBrokerLib(candidate)) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException("the Kafka broker libraries (" + BUILD_OUTPUT + ") were not found; looked in "
                + tried + ". Build them with ./mvnw -pl broker package (./llmgw does it for you), or point -D"
                + PROPERTY + " or " + ENV + " at them.");
    }

    /** {@code dir} if it holds the broker's jars, else an exception that says what is wrong with it. */
    public static Path require(final Path dir, final String source) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("the Kafka broker library directory " + dir.toAbsolutePath() + " (from "
                    + source + ") does not exist; build it with ./mvnw -pl broker package");
        }
        if (!isBrokerLib(dir)) {
            throw new IllegalStateException("the directory " + dir.toAbsolutePath() + " (from " + source
                    + ") holds no broker-*.jar; it should be broker/target/lib of an llmgw build");
        }
        return dir;
    }

    static boolean isBrokerLib(final Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString())
                    .anyMatch(name -> name.startsWith("broker-") && name.endsWith(".jar"));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** Where this class was loaded from: {@code app/target/lib/app-*.jar} or {@code app/target/classes}. */
    private static Optional<Path> codeLocation() {
        try {
            final CodeSource source = BrokerLib.class.getProtectionDomain().getCodeSource();
            return source == null || source.getLocation() == null ? Optional.empty()
                    : Optional.of(Path.of(source.getLocation().toURI()));
        } catch (final URISyntaxException | SecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
