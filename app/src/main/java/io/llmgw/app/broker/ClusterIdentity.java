package io.llmgw.app.broker;

import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * What a local cluster's data dir says about the cluster it holds: its id, with which every node's log dir was
 * formatted, and its node count. Kept in {@value #FILE} beside the node dirs, so that the same data dir gives the
 * same cluster again. A data dir of a cluster of another size is refused rather than started: its partitions have
 * replicas on nodes that would not exist, or too few for the new {@code min.insync.replicas}.
 *
 * @param clusterId a Kafka cluster id (a base64 UUID)
 * @param nodes     how many nodes the cluster has
 */
record ClusterIdentity(String clusterId, int nodes) {

    static final String FILE = "cluster.properties";
    private static final String ID = "cluster.id";
    private static final String NODES = "nodes";

    /** The identity stored in {@code dataDir}, or a new one for {@code nodes} nodes, written there first. */
    static ClusterIdentity loadOrCreate(final Path dataDir, final int nodes) {
        final Path file = dataDir.resolve(FILE);
        if (Files.isRegularFile(file)) {
            final ClusterIdentity stored = read(file);
            if (stored.nodes() != nodes) {
                throw new IllegalArgumentException("the data dir " + dataDir.toAbsolutePath() + " holds a cluster of "
                        + stored.nodes() + " node(s), not " + nodes + ": start it with --nodes " + stored.nodes()
                        + ", or give another --data-dir");
            }
            return stored;
        }
        final ClusterIdentity created = new ClusterIdentity(Uuid.randomUuid().toString(), nodes);
        created.write(file);
        return created;
    }

    private static ClusterIdentity read(final Path file) {
        final Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        final String id = props.getProperty(ID, "").strip();
        final String nodes = props.getProperty(NODES, "").strip();
        if (id.isEmpty() || !nodes.matches("[1-9][0-9]*")) {
            throw new IllegalStateException(file.toAbsolutePath() + " needs " + ID + " and " + NODES
                    + " (a positive number); it holds " + props);
        }
        return new ClusterIdentity(id, Integer.parseInt(nodes));
    }

    private void write(final Path file) {
        final Properties props = new Properties();
        props.setProperty(ID, clusterId);
        props.setProperty(NODES, Integer.toString(nodes));
        try {
            Files.createDirectories(file.getParent());
            final Path partial = file.resolveSibling(FILE + ".partial");
            try (OutputStream out = Files.newOutputStream(partial)) {
                props.store(out, "llmgw local Kafka cluster: every node dir below was formatted with this id");
            }
            // a crash while writing leaves no half file that a restart would refuse
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
