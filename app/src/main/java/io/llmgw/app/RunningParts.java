package io.llmgw.app;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The parts of a running process in the order they started; {@link #close()} stops them in reverse, so that nothing
 * outlives what it uses. A part that fails to stop is logged and the others still stop.
 */
final class RunningParts implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunningParts.class);

    private final Deque<AutoCloseable> parts = new ArrayDeque<>();

    /** Remembers a started part and returns it. */
    <T extends AutoCloseable> T add(final T part) {
        parts.push(part);
        return part;
    }

    @Override
    public void close() {
        while (!parts.isEmpty()) {
            final AutoCloseable part = parts.pop();
            try {
                part.close();
            } catch (final Exception e) {
                LOG.warn("stopping {} failed: {}", part.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
