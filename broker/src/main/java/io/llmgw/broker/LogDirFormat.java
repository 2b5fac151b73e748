package io.llmgw.broker;

import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * Formats a KRaft log dir once, with the cluster id its cluster's nodes share (a fresh one for a node alone). A dir that is already formatted is kept as it is, so a
 * developer's data survives a restart when the same dir is given again.
 */
public final class LogDirFormat {

    static final String META_PROPERTIES = "meta.properties";

    private LogDirFormat() {
    }

    public static boolean isFormatted(final Path logDir) {
        return Files.isRegularFile(logDir.resolve(META_PROPERTIES));
    }

    /**
     * Formats {@code logDir} for {@code config} unless it is formatted already.
     *
     * @return true when this call formatted it
     */
    public static boolean formatIfNeeded(final Path logDir, final Properties config, final Optional<String> clusterId) {
        if (isFormatted(logDir)) {
            return false;
        }
        try {
            Files.createDirectories(logDir);
            // StorageTool reads its configuration from a file only
            final Path configFile = Files.createTempFile("llmgw-broker-", ".properties");
            try {
                try (OutputStream out = Files.newOutputStream(configFile)) {
                    config.store(out, "llmgw broker node");
                }
                format(configFile, clusterId.orElseGet(() -> Uuid.randomUuid().toString()));
            } finally {
                Files.deleteIfExists(configFile);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot prepare the broker log dir " + logDir, e);
        }
        return true;
    }

    private static void format(final Path configFile, final String clusterId) {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final int exitCode;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            // execute(), not main(): main() calls System.exit
            exitCode = StorageTool.execute(new String[] {
                "format",
                "--config", configFile.toString(),
                "--cluster-id", clusterId,
                "--ignore-formatted"}, out);
        } catch (final RuntimeException e) {
            throw new IllegalStateException("formatting the broker log dir failed: " + e.getMessage(), e);
        }
        if (exitCode != 0) {
            throw new IllegalStateException("formatting the broker log dir failed (exit code " + exitCode + "): "
                    + output.toString(StandardCharsets.UTF_8).strip());
        }
    }
}
