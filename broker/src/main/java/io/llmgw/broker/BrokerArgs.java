package io.llmgw.broker;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The command line of {@link KafkaBrokerMain}. One node alone: {@code --port <p> --controller-port <c>}, where 0
 * means "pick a free one". One node of a cluster: {@code --cluster <spec> --node-id <id>} (see
 * {@link ClusterLayout#spec()}), every port decided, and {@code --cluster-id <id>} so that every node formats its
 * log dir for the same cluster. Always {@code --log-dir <dir>}, and any number of {@code --override key=value}.
 *
 * @param clusterId the id to format a fresh log dir with; a random one when empty (a one-node cluster)
 * @param overrides broker properties that replace the defaults of {@link NodeConfig}, in the order given
 */
public record BrokerArgs(ClusterLayout layout, int nodeId, Path logDir, Optional<String> clusterId,
                         Map<String, String> overrides) {

    private static final String USAGE = "usage: (--port <p> --controller-port <c> | --cluster <id:port:controllerPort,...>"
            + " --node-id <id> [--cluster-id <id>]) --log-dir <dir> [--override key=value]...";

    public BrokerArgs {
        if (logDir == null) {
            throw new IllegalArgumentException("--log-dir is required");
        }
        layout.node(nodeId);
        overrides = Map.copyOf(overrides);
    }

    /** A one-node cluster (node 1) on the given ports. */
    public BrokerArgs(final int port, final int controllerPort, final Path logDir, final Map<String, String> overrides) {
        this(ClusterLayout.single(port, controllerPort), 1, logDir, Optional.empty(), overrides);
    }

    public static BrokerArgs parse(final String... args) {
        Integer port = null;
        Integer controllerPort = null;
        ClusterLayout cluster = null;
        Integer nodeId = null;
        String clusterId = null;
        Path logDir = null;
        final Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            final String name = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            final String value = args[++i];
            switch (name) {
                case "--port" -> port = parseNumber(name, value);
                case "--controller-port" -> controllerPort = parseNumber(name, value);
                case "--cluster" -> cluster = ClusterLayout.parse(value);
                case "--node-id" -> nodeId = parseNumber(name, value);
                case "--cluster-id" -> clusterId = value.strip();
                case "--log-dir" -> logDir = Path.of(value);
                case "--override" -> {
                    final int eq = value.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--override needs key=value, got: " + value);
                    }
                    overrides.put(value.substring(0, eq).strip(), value.substring(eq + 1).strip());
                }
                default -> throw new IllegalArgumentException("unknown option " + name + " (" + USAGE + ")");
            }
        }
        if (cluster == null) {
            if (nodeId != null) {
                throw new IllegalArgumentException("--node-id needs --cluster (" + USAGE + ")");
            }
            cluster = ClusterLayout.single(port == null ? 0 : port, controllerPort == null ? 0 : controllerPort);
            nodeId = 1;
        } else if (port != null || controllerPort != null) {
            throw new IllegalArgumentException("--cluster names every port; --port and --controller-port do not go"
                    + " with it (" + USAGE + ")");
        } else if (nodeId == null) {
            throw new IllegalArgumentException("--cluster needs --node-id (" + USAGE + ")");
        }
        return new BrokerArgs(cluster, nodeId, logDir, Optional.ofNullable(clusterId), overrides);
    }

    /** This node's client port. */
    public int port() {
        return node().port();
    }

    /** This node's controller port (unused when the node is a broker only). */
    public int controllerPort() {
        return node().controllerPort();
    }

    public ClusterLayout.Node node() {
        return layout.node(nodeId);
    }

    /** The same arguments with this node's ports decided (free loopback ports where 0 was asked for). */
    public BrokerArgs withFreePorts() {
        if (port() != 0 && controllerPort() != 0) {
            return this;
        }
        final int chosenPort = port() == 0 ? LoopbackPorts.free() : port();
        int chosenController = controllerPort() == 0 ? LoopbackPorts.free() : controllerPort();
        while (chosenController == chosenPort) {
            chosenController = LoopbackPorts.free();
        }
        // only a one-node layout may hold a 0 (ClusterLayout refuses it otherwise)
        return new BrokerArgs(ClusterLayout.single(chosenPort, chosenController), nodeId, logDir, clusterId, overrides);
    }

    private static int parseNumber(final String name, final String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got: " + value, e);
        }
    }
}
