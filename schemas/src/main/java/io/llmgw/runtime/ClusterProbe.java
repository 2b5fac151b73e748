package io.llmgw.runtime;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Answers "can this process reach Kafka right now?" for {@code /ready} (the gateway's, and the launcher's ops server
 * for router and worker processes). A cached answer is reused for a short while, so a probe hammering {@code /ready}
 * does not turn into a stream of metadata requests.
 *
 * <p>Threading: called from HTTP handler threads; the cached answer is one immutable record in a volatile field.
 */
public final class ClusterProbe implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration CACHE = Duration.ofSeconds(2);

    private record Answer(boolean reachable, long atNanos) {
    }

    private final Admin admin;
    private volatile Answer last = new Answer(false, System.nanoTime() - CACHE.toNanos() - 1);

    public ClusterProbe(final Admin admin) {
        this.admin = admin;
    }

    /** The admin client the probe asks with; callers may use it for other cluster queries. */
    public Admin admin() {
        return admin;
    }

    /** Whether the cluster answered a describe-cluster call within 2 s, at most 2 s ago. */
    public boolean reachable() {
        final Answer cached = last;
        if (System.nanoTime() - cached.atNanos() < CACHE.toNanos()) {
            return cached.reachable();
        }
        final Answer fresh = new Answer(describe(), System.nanoTime());
        last = fresh;
        return fresh.reachable();
    }

    private boolean describe() {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()))
                    .clusterId().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (final ExecutionException | TimeoutException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** No grace period: a probe still pending at close answers nobody, and with Kafka gone it would wait it out. */
    @Override
    public void close() {
        admin.close(Duration.ZERO);
    }
}
