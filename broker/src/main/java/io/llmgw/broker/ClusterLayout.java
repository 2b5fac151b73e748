package io.llmgw.broker;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The nodes of a local KRaft cluster on 127.0.0.1 and what follows from their number: who votes in the controller
 * quorum, and how many replicas each partition gets.
 *
 * <p>Written on a child's command line as {@code --cluster 1:9092:9095,2:9093:9096,3:9094:9097}
 * ({@code id:port:controllerPort}, see {@link #spec()}); every node of a cluster gets the same spec.
 *
 * <ul>
 *   <li>Voters: the first nodes, as many as the largest odd number not above the node count (1, 1, 3, 3, 5, ...).
 *       An even quorum survives no more failures than the odd one below it and needs one more vote per decision;
 *       the nodes outside it are brokers only, and their controller port stays unused.</li>
 *   <li>Replication factor: every node holds every partition.</li>
 *   <li>{@code min.insync.replicas}: one fewer than the nodes from three on, so one node may die while writes with
 *       {@code acks=all} go on and still reach two disks; one below three (on two nodes a write acknowledged while one
 *       is down lives on one disk until it is back).</li>
 * </ul>
 *
 * @param nodes in id order; a port of 0 ("a free one") only in a one-node layout before {@link BrokerArgs#withFreePorts}
 */
public record ClusterLayout(List<Node> nodes) {

    /** One node: its id and its client and controller ports. */
    public record Node(int id, int port, int controllerPort) {

        public Node {
            if (id < 1) {
                throw new IllegalArgumentException("node ids start at 1, got: " + id);
            }
            requirePort(port);
            requirePort(controllerPort);
        }

        public String address() {
            return "127.0.0.1:" + port;
        }
    }

    public ClusterLayout {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one node");
        }
        final Set<Integer> ids = new HashSet<>();
        final Set<Integer> ports = new HashSet<>();
        for (final Node node : nodes) {
            if (!ids.add(node.id())) {
                throw new IllegalArgumentException("node id " + node.id() + " appears twice");
            }
            for (final int port : new int[] {node.port(), node.controllerPort()}) {
                if (port == 0 && nodes.size() > 1) {
                    throw new IllegalArgumentException("every node of a cluster needs its ports decided: " + node);
                }
                if (port != 0 && !ports.add(port)) {
                    throw new IllegalArgumentException("port " + port + " is used twice");
                }
            }
        }
    }

    /** The one-node cluster of {@code llmgw dev}: node 1 on {@code port} and {@code controllerPort} (0 = free). */
    public static ClusterLayout single(final int port, final int controllerPort) {
        return new ClusterLayout(List.of(new Node(1, port, controllerPort)));
    }

    /**
     * {@code count} nodes with client ports {@code port} to {@code port + count - 1} and controller ports right after
     * them, {@code port + count} to {@code port + 2 * count - 1}.
     */
    public static ClusterLayout contiguous(final int count, final int port) {
        if (count < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, got: " + count);
        }
        if (port < 1 || port + 2 * count - 1 > 65_535) {
            throw new IllegalArgumentException("ports " + port + " to " + (port + 2 * count - 1) + " are not all valid");
        }
        final List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(new Node(i + 1, port + i, port + count + i));
        }
        return new ClusterLayout(nodes);
    }

    /** Reads {@link #spec()}. */
    public static ClusterLayout parse(final String spec) {
        final List<Node> nodes = new ArrayList<>();
        for (final String part : spec.split(",")) {
            final String[] fields = part.strip().split(":");
            if (fields.length != 3) {
                throw new IllegalArgumentException("a node is id:port:controllerPort, got: " + part);
            }
            try {
                nodes.add(new Node(Integer.parseInt(fields[0].strip()), Integer.parseInt(fields[1].strip()),
                        Integer.parseInt(fields[2].strip())));
            } catch (final NumberFormatException e) {
                throw new IllegalArgumentException("a node is id:port:controllerPort (numbers), got: " + part, e);
            }
        }
        return new ClusterLayout(nodes);
    }

    public String spec() {
        return nodes.stream().map(n -> n.id() + ":" + n.port() + ":" + n.controllerPort())
                .collect(Collectors.joining(","));
    }

    public int size() {
        return nodes.size();
    }

    public Node node(final int id) {
        return nodes.stream().filter(n -> n.id() == id).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("node " + id + " is not in the cluster " + spec()));
    }

    /** The controller quorum: the first nodes, an odd number of them. */
    public List<Node> voters() {
        final int count = nodes.size() % 2 == 1 ? nodes.size() : nodes.size() - 1;
        return nodes.subList(0, count);
    }

    public boolean isVoter(final int id) {
        return voters().stream().anyMatch(n -> n.id() == id);
    }

    /** {@code controller.quorum.voters}: {@code 1@127.0.0.1:9095,2@127.0.0.1:9096,...}. */
    public String quorumVoters() {
        return voters().stream().map(n -> n.id() + "@127.0.0.1:" + n.controllerPort())
                .collect(Collectors.joining(","));
    }

    public int replicationFactor() {
        return nodes.size();
    }

    public int minInsyncReplicas() {
        return nodes.size() >= 3 ? nodes.size() - 1 : 1;
    }

    /** What clients put in {@code bootstrap.servers}: every node's client address. */
    public String bootstrapServers() {
        return nodes.stream().map(Node::address).collect(Collectors.joining(","));
    }

    private static void requirePort(final int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("ports are between 0 and 65535, got: " + port);
        }
    }
}
