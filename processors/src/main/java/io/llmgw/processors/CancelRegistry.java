package io.llmgw.processors;

import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;

/**
 * The requests clients no longer wait for, shared by a worker instance's tasks. A {@link CancelListener} (or anything
 * else) calls {@link #cancel}; processors check {@link #reasonFor} before they start a request and subscribe to hear
 * about requests they already run.
 *
 * <p>Every worker reads every cancel of the deployment, most of them for requests it never sees, so ids are kept only
 * for {@code retention} (longer than any request waits in a model topic before its deadline).
 */
public final class CancelRegistry {

    public static final Duration DEFAULT_RETENTION = Duration.ofMinutes(30);

    private record Mark(String id, long atNanos) {
    }

    private final Map<String, CancelReason> reasons = new ConcurrentHashMap<>();
    private final Queue<Mark> marks = new ConcurrentLinkedQueue<>();
    private final Set<Consumer<CancelCommand>> subscribers = new CopyOnWriteArraySet<>();
    private final long retentionNanos;

    public CancelRegistry() {
        this(DEFAULT_RETENTION);
    }

    public CancelRegistry(final Duration retention) {
        this.retentionNanos = retention.toNanos();
    }

    /** Cancels a request because its client disconnected. */
    public void cancel(final String requestId) {
        cancel(new CancelCommand(requestId, CancelReason.CLIENT_DISCONNECTED, System.currentTimeMillis()));
    }

    public void cancel(final CancelCommand command) {
        if (command == null || command.id() == null) {
            return;
        }
        if (reasons.put(command.id(), command.reason()) == null) {
            marks.add(new Mark(command.id(), System.nanoTime()));
        }
        forgetExpired();
        subscribers.forEach(subscriber -> subscriber.accept(command));
    }

    /** Why the request was cancelled, if it was. */
    public Optional<CancelReason> reasonFor(final String requestId) {
        return Optional.ofNullable(reasons.get(requestId));
    }

    /** Calls {@code subscriber} on the cancelling thread for every later cancel; close the result to stop. */
    public AutoCloseable subscribe(final Consumer<CancelCommand> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    private void forgetExpired() {
        final long now = System.nanoTime();
        for (Mark oldest = marks.peek(); oldest != null && now - oldest.atNanos() >= retentionNanos;
             oldest = marks.peek()) {
            if (marks.remove(oldest)) {
                reasons.remove(oldest.id());
            }
        }
    }
}
