package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.RequestLog;
import io.llmgw.schemas.ResponseEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One worker instance's calls to its model's host: a hard cap of {@link ModelSpec#concurrency()} open calls for the
 * whole instance, whatever the number of partitions, tasks or stream threads, and the order in which waiting requests
 * take a free slot ({@link AdmissionQueue}: priority, turns between callers, earliest deadline).
 *
 * <p><b>Why a scheduler beside Kafka Streams.</b> Tasks hand requests over in {@code process()} and return at once;
 * their in-flight store already holds the request as {@code waiting}, so the input offset may commit (guarantee 2)
 * and nothing ever waits on the stream thread. The scheduler starts a request when a slot is free, and sends every
 * event of a started request (started marker, chunks, terminal) through its own producer ({@link EventSender}) the
 * moment it happens, so a chunk never waits for a stream thread's poll or punctuation, and an idle instance sleeps.
 * Changes the task's store must see (running, stream started, finished) travel back through the task's
 * {@link TaskLane}, and a request leaves the store only after the broker acknowledged its terminal event.
 *
 * <p><b>Threading notes.</b> Every field is owned by the loop thread ({@link SchedulerLoop}), except {@code upstream
 * calls} (read by a cancelling thread so that a cancel aborts the HTTP call at once), the lanes' queues and the
 * metrics' atomics. Stream threads, OkHttp threads and the cancel listener only enqueue tasks on the loop.
 *
 * <p><b>Slots.</b> A request holds its slot from start to terminal event, retry backoffs included: a host that
 * answered 429 or 5xx is not sent another request in its place meanwhile.
 *
 * <p><b>Read-ahead.</b> When {@code maxWaiting} requests wait, {@link Backpressure#pause()} stops the stream threads
 * reading (Kafka Streams' pause); the rest of the backlog stays in Kafka as consumer lag, and reading resumes when a
 * request starts. Reordering by priority only ever applies to what has been read.
 */
final class CallScheduler implements AutoCloseable {

    /** How long a started call runs silently before the started marker tells the request results it is running. */
    static final Duration STARTED_MARKER_AFTER = Duration.ofMillis(250);

    /** Stops and resumes reading the model topic (Kafka Streams' pause and resume in production). */
    interface Backpressure {
        void pause();

        void resume();
    }

    private static final Logger LOG = LoggerFactory.getLogger(CallScheduler.class);

    private final ModelSpec model;
    private final UpstreamClient upstream;
    private final EventSender sender;
    private final CancelRegistry cancels;
    private final WorkerMetrics metrics;
    private final SchedulerLoop loop;
    private final int maxWaiting;
    private final String fallbackTopic;
    private volatile Backpressure backpressure;
    private final AutoCloseable cancelSubscription;
    private final AutoCloseable goneSubscription;

    private final AdmissionQueue waiting = new AdmissionQueue();
    private final Map<String, ScheduledCall> calls = new HashMap<>();
    private final Map<String, UpstreamCall> upstreamCalls = new ConcurrentHashMap<>();
    private final CallTries tries;
    private long arrivals;
    private int running;
    private boolean paused;

    CallScheduler(final ModelSpec model, final UpstreamClient upstream, final EventSender sender,
                  final CancelRegistry cancels, final WorkerMetrics metrics, final SchedulerLoop loop,
                  final int maxWaiting, final String fallbackTopic) {
        if (maxWaiting < 1) {
            throw new IllegalArgumentException("the read-ahead must hold at least one request, got " + maxWaiting);
        }
        this.model = model;
        this.upstream = upstream;
        this.sender = sender;
        this.cancels = cancels;
        this.metrics = metrics;
        this.loop = loop;
        this.maxWaiting = maxWaiting;
        this.fallbackTopic = fallbackTopic;
        this.backpressure = new Backpressure() {
            @Override
            public void pause() {
            }

            @Override
            public void resume() {
            }
        };
        this.tries = new CallTries(this);
        metrics.bindSlots(model.concurrency());
        this.cancelSubscription = cancels.subscribe(this::cancel);
        this.goneSubscription = cancels.subscribeGatewayGone(this::gatewayGone);
    }

    void backpressure(final Backpressure next) {
        this.backpressure = next;
    }

    long nowMs() {
        return loop.nowMs();
    }

    ModelSpec model() {
        return model;
    }

    UpstreamClient upstream() {
        return upstream;
    }

    WorkerMetrics metrics() {
        return metrics;
    }

    SchedulerLoop loop() {
        return loop;
    }

    /** A task's way in; stream thread. */
    TaskLane openLane(final String taskName) {
        return new TaskLane(taskName);
    }

    /** The task is closing (revoked, failed, shut down): its requests stay in its store for the next owner. */
    void closeLane(final TaskLane lane) {
        lane.close();
        loop.execute(() -> {
            for (final ScheduledCall call : new ArrayList<>(calls.values())) {
                if (call.lane() == lane) {
                    if (call.isRunning()) {
                        call.active().abortCall();
                    }
                    release(call);
                }
            }
            fill();
        });
    }

    /**
     * Queues a request that the task has recorded as waiting in its store; any thread. A request already held here
     * (a redelivered record) is ignored.
     */
    void offer(final TaskLane lane, final RequestEnvelope request) {
        loop.execute(() -> {
            if (lane.isClosed() || calls.containsKey(request.id())) {
                return;
            }
            final long now = loop.nowMs();
            final ScheduledCall call = new ScheduledCall(request, lane, arrivals++, now);
            calls.put(request.id(), call);
            waiting.add(call);
            metrics.waiting(request.priority(), 1);
            // a waiting request ends the moment it expires, not when a slot frees up
            call.timer(loop.schedule(request.deadlineMs() - now, () -> expireWhileWaiting(call)));
            fill();
        });
    }

    /** A cancel from the control topic (or a test); aborts the HTTP call on the calling thread, then tells the loop. */
    void cancel(final CancelCommand command) {
        final UpstreamCall call = upstreamCalls.get(command.id());
        if (call != null) {
            call.cancel();
        }
        loop.execute(() -> cancelled(command.id(), command.reason()));
    }

    /** A gateway left (the watch thread): every request here its clients waited for ends as cancelled. */
    void gatewayGone(final CancelRegistry.GatewayGone gone) {
        loop.execute(() -> {
            final long now = loop.nowMs();
            for (final ScheduledCall call : new ArrayList<>(calls.values())) {
                if (gone.concerns(call.request())) {
                    cancel(new CancelCommand(call.id(), CancelReason.GATEWAY_GONE, now));
                }
            }
        });
    }

    private void cancelled(final String id, final CancelReason reason) {
        final ScheduledCall call = calls.get(id);
        if (call == null) {
            return;
        }
        RequestLog.with(id, () -> LOG.info("request {} for {} cancelled ({}) while {}", id, model.name(), reason,
                call.isRunning() ? "running: upstream call aborted" : "waiting: the LLM host never sees it"));
        if (call.isRunning()) {
            call.active().abortCall();
        }
        end(call, ResponseEvent.error(call.request(), seqOf(call), LlmCallProcessor.cancelledError(reason)));
        metrics.cancelled(reason);
    }

    private void expireWhileWaiting(final ScheduledCall call) {
        if (calls.get(call.id()) == call && !call.isRunning()) {
            end(call, ResponseEvent.error(call.request(), 0,
                    ApiError.timeout("deadline passed while the request waited for a free slot")));
            metrics.failed(504);
        }
    }

    /** Starts waiting requests while slots are free: work-conserving. */
    private void fill() {
        while (running < model.concurrency() && !waiting.isEmpty()) {
            start(waiting.poll());
        }
        final boolean full = waiting.size() >= maxWaiting;
        if (full != paused) {
            paused = full;
            if (full) {
                backpressure.pause();
            } else {
                backpressure.resume();
            }
        }
    }

    private void start(final ScheduledCall call) {
        call.cancelTimer();
        metrics.waiting(call.priority(), -1);
        final long now = loop.nowMs(); // the clock at the start, not when the record was read
        final RequestEnvelope request = call.request();
        final Optional<CancelReason> cancelled = cancels.reasonFor(request);
        if (request.isExpiredAt(now) || cancelled.isPresent()) {
            final ApiError error = cancelled.map(LlmCallProcessor::cancelledError)
                    .orElseGet(() -> ApiError.timeout("deadline passed before a worker picked it up"));
            end(call, ResponseEvent.error(request, 0, error));
            cancelled.ifPresentOrElse(metrics::cancelled, () -> metrics.failed(504));
            return;
        }
        running++;
        call.started(new ActiveRequest(request, now));
        metrics.started(call, now);
        // no store write here: a failover re-runs a waiting and a running entry alike (as the next attempt), so
        // "running" would cost a changelog record per request and change nothing; only the first chunk is written
        final ActiveRequest started = call.active();
        loop.schedule(STARTED_MARKER_AFTER.toMillis(), () -> markStarted(call, started));
        tries.begin(call, now);
    }

    /**
     * Tells the request results that {@code started} is running, when it still is {@link #STARTED_MARKER_AFTER} after
     * its start and has sent nothing yet. A call that answers sooner needs no marker: its first event says as much,
     * and a marker for every call cost each request one more record and a fetch for every reader of the events topic.
     */
    private void markStarted(final ScheduledCall call, final ActiveRequest started) {
        if (holds(call) && call.active() == started && !started.hasSentEvents()) {
            sender.send(ResponseEvent.started(call.request()).withStartedAt(started.admittedAtMs()), () -> { });
        }
    }

    /** The try's HTTP call is running; it is aborted at once by a cancel. */
    void calling(final ScheduledCall call, final UpstreamCall upstreamCall) {
        call.active().running(upstreamCall);
        upstreamCalls.put(call.id(), upstreamCall);
    }

    /** Whether a callback of {@code tryNumber} still belongs to the call's current try. */
    boolean isCurrent(final ScheduledCall call, final int tryNumber) {
        return holds(call) && call.active().isCurrentTry(tryNumber);
    }

    /** Whether {@code call} is still running here (not ended, not dropped with its task). */
    boolean holds(final ScheduledCall call) {
        return calls.get(call.id()) == call && call.isRunning();
    }

    void chunk(final ScheduledCall call, final JsonNode chunk) {
        final ActiveRequest request = call.active();
        final long now = loop.nowMs();
        if (!request.streamStarted()) {
            // the store learns it a little after the chunk leaves; a crash in between re-runs the stream as the next
            // attempt, and the gateway, locked to this attempt, ends the reply with a 502 instead of mixing the two
            call.lane().put(InFlightEntry.running(call.request(), true));
            metrics.firstChunk(call.request(), now);
        }
        final boolean first = !request.streamStarted();
        request.chunkArrived(now);
        sender.send(ResponseEvent.chunk(call.request(), request.nextSeq(), chunk)
                .withStartedAt(request.admittedAtMs()), () -> { });
        if (first) {
            tries.arm(call);
        }
    }

    void retrying(final ScheduledCall call) {
        upstreamCalls.remove(call.id());
    }

    /** Hands the request to the fallback model's topic as its next attempt; it leaves this worker when delivered. */
    void handOver(final ScheduledCall call) {
        final RequestEnvelope next = call.request().withAttempt(call.request().attempt() + 1);
        final TaskLane lane = call.lane();
        sender.handOver(fallbackTopic, next, () -> lane.remove(next.id()));
        release(call);
        metrics.fellBack(model.fallback());
        fill();
    }

    /** Sends the request's one terminal event and frees its slot; the store forgets it once the broker has the event. */
    void end(final ScheduledCall call, final ResponseEvent ending) {
        final TaskLane lane = call.lane();
        final ResponseEvent terminal = call.isRunning() ? ending.withStartedAt(call.active().admittedAtMs()) : ending;
        sender.send(terminal, () -> lane.remove(terminal.id()));
        if (call.isRunning()) {
            metrics.ended(terminal, call.active().admittedAtMs(), loop.nowMs());
        }
        release(call);
        fill();
    }

    private void release(final ScheduledCall call) {
        call.cancelTimer();
        if (calls.remove(call.id()) == null) {
            return;
        }
        upstreamCalls.remove(call.id());
        if (call.isRunning()) {
            running--;
            metrics.stopped(call.priority());
        } else if (waiting.remove(call)) {
            metrics.waiting(call.priority(), -1);
        }
    }

    private static long seqOf(final ScheduledCall call) {
        return call.isRunning() ? call.active().nextSeq() : 0;
    }

    /** A retry delay for the try that just failed, jittered. */
    Duration retryDelay(final ActiveRequest request, final UpstreamFailure failure) {
        return model.retryDelay(request.tries(), failure.retryAfter(), ThreadLocalRandom.current().nextDouble());
    }

    @Override
    public void close() {
        try {
            cancelSubscription.close();
            goneSubscription.close();
        } catch (final Exception e) {
            LOG.warn("cannot unsubscribe from cancels", e);
        }
        loop.execute(() -> {
            for (final ScheduledCall call : new ArrayList<>(calls.values())) {
                if (call.isRunning()) {
                    call.active().abortCall();
                }
                release(call);
            }
        });
        loop.close();
    }
}
