package io.llmgw.processors;

import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.RequestEnvelope;

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
 * <p>Besides cancels of one request, it keeps the gateways that are gone ({@link #gatewayGone}, from
 * {@link GatewayWatch}): every request such a gateway's client waits for ({@code detached} false) and that it received
 * before it went counts as cancelled with {@link CancelReason#GATEWAY_GONE}, including those not read yet.
 *
 * <p>Every worker reads every cancel of the deployment, most of them for requests it never sees, so ids (and gone
 * gateways) are kept only for {@code retention} (longer than any request waits in a model topic before its deadline).
 */
public final class CancelRegistry {

    public static final Duration DEFAULT_RETENTION = Duration.ofMinutes(30);

    private record Mark(String id, long atNanos) {
    }

    /**
     * A gateway that left its claims group: its waiting clients' requests received before {@code receivedBeforeMs}
     * (epoch ms, the gateway's clock) have nobody to answer to.
     */
    public record GatewayGone(String gatewayId, long receivedBeforeMs) {

        /** Whether {@code request} was waited for at that gateway before it went. */
        public boolean concerns(final RequestEnvelope request) {
            return request != null && !request.detached() && gatewayId.equals(request.gatewayId())
                    && request.receivedAtMs() < receivedBeforeMs;
        }
    }

    private record GoneMark(GatewayGone gone, long atNanos) {
    }

    private final Map<String, CancelReason> reasons = new ConcurrentHashMap<>();
    private final Queue<Mark> marks = new ConcurrentLinkedQueue<>();
    private final Set<Consumer<CancelCommand>> subscribers = new CopyOnWriteArraySet<>();
    private final Map<String, GatewayGone> goneGateways = new ConcurrentHashMap<>();
    private final Queue<GoneMark> goneMarks = new ConcurrentLinkedQueue<>();
    private final Set<Consumer<GatewayGone>> goneSubscribers = new CopyOnWriteArraySet<>();
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

    /**
     * Records that gateway {@code gone.gatewayId()} left, and tells the subscribers (the scheduler cancels what it
     * waits for or runs of that gateway).
     */
    public void gatewayGone(final GatewayGone gone) {
        if (gone == null || gone.gatewayId() == null) {
            return;
        }
        goneGateways.merge(gone.gatewayId(), gone,
                (before, now) -> now.receivedBeforeMs() >= before.receivedBeforeMs() ? now : before);
        goneMarks.add(new GoneMark(gone, System.nanoTime()));
        forgetExpired();
        goneSubscribers.forEach(subscriber -> subscriber.accept(gone));
    }

    /** Why the request was cancelled, if it was. */
    public Optional<CancelReason> reasonFor(final String requestId) {
        return Optional.ofNullable(reasons.get(requestId));
    }

    /** Why the request was cancelled, if it was: by a cancel of its id, or because its gateway is gone. */
    public Optional<CancelReason> reasonFor(final RequestEnvelope request) {
        final Optional<CancelReason> byId = reasonFor(request.id());
        if (byId.isPresent()) {
            return byId;
        }
        final GatewayGone gone = request.gatewayId() == null ? null : goneGateways.get(request.gatewayId());
        return gone != null && gone.concerns(request) ? Optional.of(CancelReason.GATEWAY_GONE) : Optional.empty();
    }

    /** Calls {@code subscriber} on the watching thread for every gateway that goes; close the result to stop. */
    public AutoCloseable subscribeGatewayGone(final Consumer<GatewayGone> subscriber) {
        goneSubscribers.add(subscriber);
        return () -> goneSubscribers.remove(subscriber);
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
        for (GoneMark oldest = goneMarks.peek(); oldest != null && now - oldest.atNanos() >= retentionNanos;
             oldest = goneMarks.peek()) {
            if (goneMarks.remove(oldest)) {
                goneGateways.remove(oldest.gone().gatewayId(), oldest.gone());
            }
        }
    }
}
