package io.llmgw.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The first internal failure that leaves a process unable to do its job: a reply consumer, cancel listener, model
 * directory or Kafka Streams app that died although it was meant to survive any record. Such a process must not live
 * on answering 503 forever: {@code /health} and {@code /ready} report the failure, and the launcher exits with a
 * non-zero code ({@link #onFailure}) so that Docker, Kubernetes or systemd restart it.
 *
 * <p>Loops report through {@link #report}; the first report wins and runs the handlers once, on a thread of its own
 * (the reporting loop may hold locks the handlers need). {@link #process()} is the one instance of a process; tests
 * make their own with {@link #create()}.
 */
public final class ProcessFailure {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessFailure.class);
    private static final ProcessFailure PROCESS = new ProcessFailure();

    private final AtomicReference<String> reason = new AtomicReference<>();
    private final List<Consumer<String>> handlers = new CopyOnWriteArrayList<>();

    private ProcessFailure() {
    }

    /** The instance the components of this process report to, unless given another. */
    public static ProcessFailure process() {
        return PROCESS;
    }

    /** A separate instance (tests, or several independent components in one JVM). */
    public static ProcessFailure create() {
        return new ProcessFailure();
    }

    /** Reports that {@code loop} died; logs why and, on the first report, runs the handlers. */
    public void report(final String loop, final Throwable cause) {
        final String why = loop + " died: " + (cause == null ? "no cause given" : cause.toString());
        if (!reason.compareAndSet(null, why)) {
            LOG.error("{} (after an earlier fatal failure)", why, cause);
            return;
        }
        LOG.error("FATAL: {}; this process can no longer serve and will report unhealthy", why, cause);
        final List<Consumer<String>> toRun = List.copyOf(handlers);
        Thread.ofPlatform().name("llmgw-fatal").start(() -> toRun.forEach(handler -> handler.accept(why)));
    }

    /** Why the process failed, once it has. */
    public Optional<String> reason() {
        return Optional.ofNullable(reason.get());
    }

    public boolean hasFailed() {
        return reason.get() != null;
    }

    /** Runs {@code handler} with the reason on the first failure (at once, on its own thread, if it already failed). */
    public void onFailure(final Consumer<String> handler) {
        handlers.add(handler);
        final String already = reason.get();
        if (already != null && handlers.remove(handler)) {
            Thread.ofPlatform().name("llmgw-fatal").start(() -> handler.accept(already));
        }
    }
}
