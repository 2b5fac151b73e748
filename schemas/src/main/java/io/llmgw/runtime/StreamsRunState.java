package io.llmgw.runtime;

import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;

import java.time.Duration;

/**
 * Follows one Kafka Streams instance's state, logs each change, and lets callers wait for RUNNING without polling.
 * Shared by the router and the workers (and anything else that starts a Streams app and must say when it is up).
 */
public final class StreamsRunState {

    private final KafkaStreams streams;
    private final Object changed = new Object();

    private StreamsRunState(final KafkaStreams streams) {
        this.streams = streams;
    }

    /** Installs the state listener; call before {@link KafkaStreams#start()}. ERROR is reported to the process. */
    public static StreamsRunState watch(final KafkaStreams streams, final String name, final Logger log) {
        return watch(streams, name, log, ProcessFailure.process());
    }

    /**
     * Installs the state listener, which also installs {@link StreamsFailurePolicy#replaceThreads} and reports the
     * ERROR state (the app stopped for good) to {@code failure}; call before {@link KafkaStreams#start()}.
     */
    public static StreamsRunState watch(final KafkaStreams streams, final String name, final Logger log,
                                        final ProcessFailure failure) {
        final StreamsRunState runState = new StreamsRunState(streams);
        streams.setUncaughtExceptionHandler(StreamsFailurePolicy.replaceThreads(name, log));
        streams.setStateListener((next, previous) -> {
            log.info("{} {} -> {}", name, previous, next);
            if (next == KafkaStreams.State.ERROR) {
                failure.report(name, new IllegalStateException("its Kafka Streams app went from " + previous
                        + " to ERROR"));
            }
            synchronized (runState.changed) {
                runState.changed.notifyAll();
            }
        });
        return runState;
    }

    /**
     * Waits until the instance's state changes, at most {@code timeout} (a wake-up without a change is possible: the
     * caller looks again either way).
     */
    public void awaitChange(final Duration timeout) throws InterruptedException {
        synchronized (changed) {
            changed.wait(Math.max(1, timeout.toMillis()));
        }
    }

    /**
     * Waits until the instance is RUNNING. False when {@code timeout} passes first, or when the instance stops or
     * fails while waiting (it will not become RUNNING then).
     */
    public boolean awaitRunning(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (true) {
                final KafkaStreams.State state = streams.state();
                if (state == KafkaStreams.State.RUNNING) {
                    return true;
                }
                if (state.hasStartedOrFinishedShuttingDown()) {
                    return false;
                }
                final long remainingMs = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
                if (remainingMs <= 0) {
                    return false;
                }
                changed.wait(remainingMs);
            }
        }
    }
}
