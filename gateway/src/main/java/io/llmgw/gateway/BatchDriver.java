package io.llmgw.gateway;

import io.llmgw.batches.BatchRecord;
import io.llmgw.runtime.ProcessFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Decides which batches this instance drives: those on the partitions of {@code <prefix>.batches} it holds in the
 * batch owners' group, and not final. Kafka's group does the rest: a gateway that crashes leaves the group after its
 * session (6 s), its partitions move to another member, whose driver finds their unfinished batches in its
 * {@link BatchDirectory} and starts a {@link BatchRun} for each, which rebuilds the batch's progress from the events
 * log. A gateway restarted with the same {@code GATEWAY_ID} takes its partitions back (static membership).
 *
 * <p>Threading: the driver thread ({@code llmgw-batch-driver}) looks every {@value #LOOK_MS} ms and starts runs, one
 * platform thread each; the owners group's thread calls {@link #givenUp} inside a rebalance and waits there until the
 * runs of those partitions stopped, so two instances never drive one batch. {@code runs} is the one shared map. A run
 * that throws anything but an I/O failure is a bug: the process fails loudly ({@link ProcessFailure}), and another
 * instance takes its batches over.
 */
final class BatchDriver implements AutoCloseable {

    static final long LOOK_MS = 500;

    private static final Logger LOG = LoggerFactory.getLogger(BatchDriver.class);

    private record Running(BatchRun run, Thread thread, int partition) {
    }

    private final BatchServices services;
    private final Supplier<Set<Integer>> held;
    private final int batchPartitions;
    private final ProcessFailure failure;
    private final Map<String, Running> runs = new ConcurrentHashMap<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    BatchDriver(final BatchServices services, final Supplier<Set<Integer>> held, final int batchPartitions,
                final ProcessFailure failure) {
        this.services = services;
        this.held = held;
        this.batchPartitions = batchPartitions;
        this.failure = failure;
        this.thread = Thread.ofPlatform().name("llmgw-batch-driver").daemon().unstarted(this::loop);
    }

    void start() {
        thread.start();
    }

    boolean isAlive() {
        return thread.isAlive() || !running;
    }

    /** Batches driven here now. */
    int running() {
        return runs.size();
    }

    /** The partition of the batches topic that holds (and so owns) a batch: its key's default partition. */
    int partitionOf(final String batchId) {
        return RequestIdMint.partitionOf(batchId, batchPartitions);
    }

    /** Stops the runs of partitions this instance no longer holds, and returns once they stopped. */
    void givenUp(final Set<Integer> partitions) {
        runs.values().stream().filter(r -> partitions.contains(r.partition())).forEach(this::stopAndJoin);
    }

    @Override
    public void close() {
        running = false;
        closing.countDown();
        runs.values().forEach(this::stopAndJoin);
        try {
            thread.join(5_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        try {
            while (running) {
                look();
                closing.await(LOOK_MS, TimeUnit.MILLISECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final RuntimeException | Error e) {
            failure.report("the batch driver", e);
            if (e instanceof Error error) {
                throw error;
            }
        }
    }

    private void look() {
        runs.values().removeIf(r -> !r.thread().isAlive());
        if (!services.directory().isLoaded()) {
            return;
        }
        final Set<Integer> mine = held.get();
        for (final BatchRecord batch : services.directory().all()) {
            final int partition = partitionOf(batch.id());
            if (!batch.status().isFinal() && mine.contains(partition) && !runs.containsKey(batch.id())) {
                start(batch, partition);
            }
        }
    }

    private void start(final BatchRecord batch, final int partition) {
        final BatchRun run = new BatchRun(batch, services);
        final Thread runThread = Thread.ofPlatform().name("llmgw-batch-" + batch.id()).daemon().unstarted(() -> {
            try {
                run.run();
            } catch (final RuntimeException | Error e) {
                failure.report("the run of " + batch.id(), e);
            }
        });
        final Running started = new Running(run, runThread, partition);
        runs.put(batch.id(), started);
        LOG.info("driving batch {} ({}, partition {})", batch.id(), batch.status().wireName(), partition);
        runThread.start();
        if (!held.get().contains(partition)) {
            // given up between the look and the start: the rebalance's givenUp may have missed this run
            stopAndJoin(started);
        }
    }

    private void stopAndJoin(final Running running) {
        running.run().stop();
        try {
            running.thread().join(10_000);
            if (running.thread().isAlive()) {
                LOG.warn("the run of {} did not stop within 10 s", running.run().batchId());
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runs.remove(running.run().batchId(), running);
    }
}
