package io.llmgw.broker;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command line of {@link KafkaBrokerMain}: {@code --port <p> --controller-port <c> --log-dir <dir>
 * [--override key=value]...}. A port of 0 means "pick a free one".
 *
 * @param overrides broker properties that replace the single-node defaults, in the order given
 */
public record BrokerArgs(int port, int controllerPort, Path logDir, Map<String, String> overrides) {

    public BrokerArgs {
        requirePort("--port", port);
        requirePort("--controller-port", controllerPort);
        if (logDir == null) {
            throw new IllegalArgumentException("--log-dir is required");
        }
        overrides = Map.copyOf(overrides);
    }

    public static BrokerArgs parse(final String... args) {
        int port = 0;
        int controllerPort = 0;
        Path logDir = null;
        final Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            final String name = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            final String value = args[++i];
            switch (name) {
                case "--port" -> port = parsePort(name, value);
                case "--controller-port" -> controllerPort = parsePort(name, value);
                case "--log-dir" -> logDir = Path.of(value);
                case "--override" -> {
                    final int eq = value.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--override needs key=value, got: " + value);
                    }
                    overrides.put(value.substring(0, eq).strip(), value.substring(eq + 1).strip());
                }
                default -> throw new IllegalArgumentException("unknown option " + name
                        + " (usage: --port <p> --controller-port <c> --log-dir <dir> [--override key=value]...)");
            }
        }
        return new BrokerArgs(port, controllerPort, logDir, overrides);
    }

    /** The same arguments with both ports decided (free loopback ports where 0 was asked for). */
    public BrokerArgs withFreePorts() {
        final int chosenPort = port == 0 ? LoopbackPorts.free() : port;
        int chosenController = controllerPort == 0 ? LoopbackPorts.free() : controllerPort;
        while (chosenController == chosenPort) {
            chosenController = LoopbackPorts.free();
        }
        return new BrokerArgs(chosenPort, chosenController, logDir, overrides);
    }

    private static int parsePort(final String name, final String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got: " + value, e);
        }
    }

    private static void requirePort(final String name, final int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(name + " must be between 0 and 65535, got: " + port);
        }
    }
}
