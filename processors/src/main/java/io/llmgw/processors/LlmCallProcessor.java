package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.DeadLetterHeaders;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.RequestLog;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Calls the LLM host for each request of a model topic without ever blocking the stream thread on HTTP, and turns
 * what the host sends into response events: chunks with seq 0, 1, 2, ... and exactly one terminal event.
 *
 * <p><b>Threading notes.</b> Kafka Streams calls {@link #init}, {@link #process}, the punctuator and {@link #close} on
 * the task's stream thread, and only that thread may forward. Accordingly:
 * <ul>
 *   <li>{@code inbox}: written by OkHttp threads (call outcomes, through {@link TryListener}) and by the cancel
 *       listener's thread; drained only by the stream thread, which is the only caller of {@code forward()}.</li>
 *   <li>{@code runningCalls}: written by the stream thread, read by the cancel listener's thread so that a cancel
 *       aborts the HTTP call at once even while the stream thread is busy with another task.</li>
 *   <li>Everything else ({@code context}, {@code store}, {@code active} and each {@link ActiveRequest},
 *       {@code leftovers}) belongs to the stream thread alone.</li>
 * </ul>
 * Chunks therefore reach the events topic through the punctuator, a few milliseconds after they arrive (see
 * {@link WorkerOptions#tickInterval()}); that keeps forwarding, ordering and the in-flight store on one thread, which
 * is what makes guarantees 1-3 simple to uphold.
 *
 * <p><b>In flight.</b> A request is written to the changelogged in-flight store before its call starts and deleted
 * when its terminal event is forwarded; the entry is marked once the first chunk of a stream is forwarded. A task
 * that starts with entries in the store (restart, failover) re-runs those that emitted nothing, with the next
 * attempt number, and ends a partly streamed one with an explicit error, since it cannot be resumed exactly.
 *
 * <p><b>Backpressure.</b> A task holds at most its {@link CallBudget} share of requests. When it is full,
 * {@code process()} waits for one to end, forwarding the callback events that arrive meanwhile and enforcing
 * timeouts. The wait holds the stream thread, so other tasks of that thread pause too: that is the backpressure.
 *
 * <p><b>Timeouts and retries.</b> Checked by the punctuator on the wall clock: the request's deadline, the total
 * timeout (retries included) and, for streams, first-token and idle timeouts; each ends the request with a 504.
 * A retryable failure before any chunk was forwarded is retried after an exponential backoff with jitter (or the
 * host's {@code Retry-After}), unless that would pass the deadline or the total timeout. When the tries are used up
 * that way and the model has a fallback, the request is handed to the fallback model's topic instead of failing.
 */
public final class LlmCallProcessor implements Processor<String, byte[], String, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(LlmCallProcessor.class);
    /** How long a full task waits for a callback before it checks timeouts again. */
    private static final long WAIT_SLICE_MS = 5;

    private final JsonSerde<RequestEnvelope> envelopes;
    private final ModelSpec model;
    private final UpstreamClient upstream;
    private final WorkerOptions options;

    private final BlockingQueue<Inbound> inbox = new LinkedBlockingQueue<>();
    private final Map<String, UpstreamCall> runningCalls = new ConcurrentHashMap<>();

    private final Map<String, ActiveRequest> active = new LinkedHashMap<>();
    private ProcessorContext<String, Object> context;
    private InFlightStore store;
    private List<InFlightEntry> leftovers = List.of();
    private Cancellable ticker;
    private AutoCloseable cancelSubscription;

    public LlmCallProcessor(final Topics topics, final ModelSpec model, final UpstreamClient upstream,
                            final WorkerOptions options) {
        this.envelopes = topics.modelRequests(model.name()).valueSerde();
        this.model = model;
        this.upstream = upstream;
        this.options = options;
    }

    @Override
    public void init(final ProcessorContext<String, Object> context) {
        this.context = context;
        this.store = new InFlightStore(context.getStateStore(InFlightStore.NAME));
        // Forwarding is not allowed in init(): leftovers are resumed by the first process() or punctuation.
        this.leftovers = store.readAll();
        if (!leftovers.isEmpty()) {
            LOG.info("task {} of {} resumes {} unfinished requests", context.taskId(), model.name(), leftovers.size());
        }
        options.budget().taskStarted();
        ticker = context.schedule(options.tickInterval(), PunctuationType.WALL_CLOCK_TIME, this::catchUp);
        cancelSubscription = options.cancels().subscribe(this::onCancel);
    }

    @Override
    public void process(final Record<String, byte[]> record) {
        final long now = context.currentSystemTimeMs();
        resumeLeftovers(now);
        drainInbox(now);
        final RequestEnvelope envelope = readEnvelope(record);
        if (envelope == null) {
            return;
        }
        if (active.containsKey(envelope.id())) {
            // Its offset had not been committed when the task moved, but the in-flight store had it: already resumed.
            RequestLog.with(envelope.id(), () ->
                    LOG.debug("request {} is already running here; ignoring its redelivered copy", envelope.id()));
            return;
        }
        if (endsBeforeStart(envelope, now)) {
            return;
        }
        final long afterWait = awaitFreeSlot(envelope, now);
        if (!endsBeforeStart(envelope, afterWait)) {
            admit(envelope, afterWait);
        }
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.cancel();
        }
        if (cancelSubscription != null) {
            try {
                cancelSubscription.close();
            } catch (final Exception e) {
                LOG.warn("cannot unsubscribe from cancels", e);
            }
        }
        // The in-flight store keeps these requests: the task's next owner re-runs them. Stop burning GPU meanwhile.
        for (final ActiveRequest request : active.values()) {
            request.abortCall();
            options.metrics().released();
        }
        active.clear();
        runningCalls.clear();
        inbox.clear();
        options.budget().taskStopped();
    }

    /** The wall-clock punctuation; also run by a task that waits for a free slot. */
    private void catchUp(final long now) {
        resumeLeftovers(now);
        drainInbox(now);
        runTimers(now);
    }

    private void onCancel(final CancelCommand command) {
        final UpstreamCall call = runningCalls.get(command.id());
        if (call != null) {
            call.cancel();
        }
        // Every cancel is queued, ours or not: the stream thread ends the request if it holds it, and the registry
        // check at admission catches requests that arrive later. No id can slip between the two.
        inbox.add(new Inbound.CancelRequested(command.id(), command.reason()));
    }

    private RequestEnvelope readEnvelope(final Record<String, byte[]> record) {
        return switch (envelopes.decode(record.value())) {
            case Decoded.Failed<RequestEnvelope> failed -> {
                deadLetter(record, failed.reason());
                yield null;
            }
            case Decoded.Ok<RequestEnvelope> ok -> {
                final Optional<String> missing = ok.value().missingPart();
                if (missing.isPresent()) {
                    deadLetter(record, missing.get());
                    yield null;
                }
                yield ok.value();
            }
        };
    }

    /** Ends a request that must not reach the LLM host (expired or cancelled) with its only event. */
    private boolean endsBeforeStart(final RequestEnvelope envelope, final long now) {
        if (envelope.isExpiredAt(now)) {
            emit(ResponseEvent.error(envelope, 0, ApiError.timeout("deadline passed before a worker picked it up")), now);
            options.metrics().failed(504);
            return true;
        }
        final Optional<CancelReason> cancelled = options.cancels().reasonFor(envelope.id());
        if (cancelled.isPresent()) {
            RequestLog.with(envelope.id(), () -> LOG.info(
                    "request {} for {} was cancelled ({}) before it started: skipped, the LLM host never sees it",
                    envelope.id(), model.name(), cancelled.get()));
            emit(ResponseEvent.error(envelope, 0, cancelledError(cancelled.get())), now);
            options.metrics().cancelled(cancelled.get());
            return true;
        }
        return false;
    }

    /**
     * Blocks until this task holds fewer requests than its share, handling callbacks and timeouts meanwhile; returns
     * the time then. The clock is the task's system time advanced by the real time waited, so tests that drive the
     * task's wall clock still see their own time. The wait also ends when {@code waiting} (the request that wants the
     * slot) expires or is cancelled, so that its error event goes out at once rather than when a slot frees up.
     */
    private long awaitFreeSlot(final RequestEnvelope waiting, final long now) {
        final long startNanos = System.nanoTime();
        long current = now;
        while (active.size() >= options.budget().perTaskLimit()
                && !waiting.isExpiredAt(current) && options.cancels().reasonFor(waiting.id()).isEmpty()) {
            final Inbound next;
            try {
                next = inbox.poll(WAIT_SLICE_MS, TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StreamsException("interrupted while waiting for a free upstream slot", e);
            }
            current = now + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            if (next != null) {
                handle(next, current);
            }
            catchUp(current);
        }
        return current;
    }

    private void admit(final RequestEnvelope envelope, final long now) {
        final ActiveRequest request = new ActiveRequest(envelope, now);
        store.put(new InFlightEntry(envelope, false)); // before the call: a crash from here on is resumed
        active.put(envelope.id(), request);
        options.metrics().admitted();
        options.metrics().callAdmitted(envelope, now);
        // observers (the gateway's request results) learn that it left the queue; clients never see this marker
        emit(ResponseEvent.started(envelope), now);
        startTry(request, now);
    }

    private void startTry(final ActiveRequest request, final long now) {
        final int tryNumber = request.beginTry(now);
        final UpstreamCall call;
        try {
            call = upstream.start(request.envelope(), model, new TryListener(request.id(), tryNumber));
        } catch (final RuntimeException e) {
            // The client contract says it reports failures through the listener; a bug must still not stop the task.
            RequestLog.with(request.id(), () -> LOG.error("upstream client threw for request {}", request.id(), e));
            fail(request, ApiError.upstream(502, "cannot call the LLM host: " + e.getMessage()), now);
            return;
        }
        request.running(call);
        runningCalls.put(request.id(), call);
        options.metrics().callStarted();
    }

    private void resumeLeftovers(final long now) {
        if (leftovers.isEmpty()) {
            return;
        }
        final List<InFlightEntry> entries = leftovers;
        leftovers = List.of();
        for (final InFlightEntry entry : entries) {
            // The previous owner may have forwarded events of the old attempt: the new one counts up and starts at
            // seq 0, and the gateway never mixes two attempts.
            final RequestEnvelope next = entry.request().withAttempt(entry.request().attempt() + 1);
            if (endsBeforeStart(next, now)) {
                store.remove(next.id());
            } else if (entry.streamStarted()) {
                store.remove(next.id());
                emit(ResponseEvent.error(next, 0, ApiError.upstream(502,
                        "the worker serving this stream stopped; partial stream cannot be resumed")), now);
                options.metrics().failed(502);
            } else {
                RequestLog.with(next.id(), () ->
                        LOG.info("re-running request {} as attempt {}", next.id(), next.attempt()));
                admit(next, now);
            }
        }
    }

    private void drainInbox(final long now) {
        for (Inbound next = inbox.poll(); next != null; next = inbox.poll()) {
            handle(next, now);
        }
    }

    private void handle(final Inbound inbound, final long now) {
        final ActiveRequest request = active.get(inbound.requestId());
        if (request == null) {
            return; // ended already (timeout, cancel) or not ours
        }
        switch (inbound) {
            case Inbound.CancelRequested cancel -> {
                request.abortCall();
                RequestLog.with(request.id(), () -> LOG.info("request {} for {} cancelled ({}): upstream call aborted",
                        request.id(), model.name(), cancel.reason()));
                end(request, ResponseEvent.error(request.envelope(), request.nextSeq(), cancelledError(cancel.reason())), now);
                options.metrics().cancelled(cancel.reason());
            }
            case Inbound.Chunk chunk when request.isCurrentTry(chunk.tryNumber()) -> forwardChunk(request, chunk.chunk(), now);
            case Inbound.Completed done when request.isCurrentTry(done.tryNumber()) -> {
                end(request, ResponseEvent.complete(request.envelope(), request.nextSeq(), done.completionOrNull()), now);
                options.metrics().completed();
            }
            case Inbound.Failed failed when request.isCurrentTry(failed.tryNumber()) ->
                    retryOrFail(request, failed.failure(), now);
            default -> RequestLog.with(request.id(), () ->
                    LOG.trace("dropping a late callback of an earlier try of {}", request.id()));
        }
    }

    private void forwardChunk(final ActiveRequest request, final JsonNode chunk, final long now) {
        if (!request.streamStarted()) {
            // Marked before the chunk leaves: a resumed task must never re-run a stream the client has seen.
            store.put(new InFlightEntry(request.envelope(), true));
            options.metrics().firstChunk(request.envelope(), now);
        }
        request.chunkArrived(now);
        emit(ResponseEvent.chunk(request.envelope(), request.nextSeq(), chunk), now);
    }

    private void retryOrFail(final ActiveRequest request, final UpstreamFailure failure, final long now) {
        options.metrics().upstreamFailed(failure.error().status());
        if (failure.retryable() && !request.streamStarted() && request.tries() < model.maxAttempts()) {
            final Duration delay = model.retryDelay(request.tries(), failure.retryAfter(),
                    ThreadLocalRandom.current().nextDouble());
            final long dueAt = now + delay.toMillis();
            if (request.hasTimeForRetryAt(dueAt, model)) {
                RequestLog.with(request.id(), () -> LOG.debug("request {} try {} failed ({}); retrying in {} ms",
                        request.id(), request.tries(), failure.error().message(), delay.toMillis()));
                request.retryAt(dueAt);
                runningCalls.remove(request.id());
                options.metrics().retried();
                return;
            }
        }
        if (failure.retryable() && !request.streamStarted() && mayFallBack(request.envelope())) {
            fallBack(request, failure, now);
            return;
        }
        fail(request, failure.error(), now);
    }

    /** Only a request that came for this model is handed on: a handed-over one never goes further (no loops). */
    private boolean mayFallBack(final RequestEnvelope envelope) {
        return model.fallback() != null && model.name().equals(envelope.model());
    }

    /**
     * Hands the request to the fallback model's topic, as its next attempt (the gateway delivers one attempt's
     * events only; this one sent none but its started marker). The envelope keeps the model the client asked for;
     * the fallback's worker asks its host for its own model. Like every forward, this is at-least-once: a crash
     * between the forward and the store's delete can leave the request running on both models.
     */
    private void fallBack(final ActiveRequest request, final UpstreamFailure failure, final long now) {
        final RequestEnvelope next = request.envelope().withAttempt(request.envelope().attempt() + 1);
        RequestLog.with(request.id(), () -> LOG.info("request {} for {} handed to fallback {} after {} tries ({})",
                request.id(), model.name(), model.fallback(), request.tries(), failure.error().message()));
        context.forward(new Record<String, Object>(next.id(), envelopes.encode(next), now),
                WorkerTopology.FALLBACK_SINK);
        active.remove(request.id());
        runningCalls.remove(request.id());
        store.remove(request.id());
        options.metrics().released();
        options.metrics().fellBack(model.fallback());
    }

    private void runTimers(final long now) {
        for (final ActiveRequest request : List.copyOf(active.values())) {
            if (request.envelope().isExpiredAt(now)) {
                request.abortCall();
                fail(request, ApiError.timeout("the request's deadline passed before the LLM host finished"), now);
                continue;
            }
            final Optional<String> overdue = request.overdue(now, model);
            if (overdue.isPresent()) {
                request.abortCall();
                fail(request, ApiError.timeout(overdue.get()), now);
            } else if (request.retryDueBy(now)) {
                startTry(request, now);
            }
        }
    }

    private void fail(final ActiveRequest request, final ApiError error, final long now) {
        end(request, ResponseEvent.error(request.envelope(), request.nextSeq(), error), now);
        options.metrics().failed(error.status());
    }

    /** Forwards the terminal event and forgets the request, in the store last so that a crash in between re-runs. */
    private void end(final ActiveRequest request, final ResponseEvent terminal, final long now) {
        emit(terminal, now);
        active.remove(request.id());
        runningCalls.remove(request.id());
        store.remove(request.id());
        options.metrics().released();
        options.metrics().ended(terminal, request.admittedAtMs(), now);
    }

    private void emit(final ResponseEvent event, final long now) {
        context.forward(new Record<String, Object>(event.id(), event, now), WorkerTopology.EVENTS_SINK);
    }

    private void deadLetter(final Record<String, byte[]> record, final String reason) {
        LOG.warn("sending an unreadable request record to the dead-letter topic: {}", reason);
        final var source = context.recordMetadata();
        final Headers headers = DeadLetterHeaders.of(record.headers(), reason, "worker",
                source.map(RecordMetadata::topic).orElse(null), source.map(RecordMetadata::partition).orElse(-1),
                source.map(RecordMetadata::offset).orElse(-1L));
        context.forward(new Record<String, Object>(record.key(), record.value(), record.timestamp(), headers),
                WorkerTopology.DLQ_SINK);
    }

    /**
     * The request ended because nobody waits for it: a 504 when the gateway's deadline passed (the request expired),
     * else a 408 with the reason from the cancel command.
     */
    static ApiError cancelledError(final CancelReason reason) {
        if (reason == CancelReason.DEADLINE) {
            return ApiError.timeout("the request's deadline passed at the gateway; the call was cancelled");
        }
        final String message = reason == CancelReason.OTHER ? "cancelled" : "cancelled: " + reason.words();
        return new ApiError(408, message, "cancelled", null, "cancelled");
    }

    /** Hands one try's callbacks to the stream thread; runs on OkHttp threads, so it only enqueues. */
    private final class TryListener implements UpstreamListener {
        private final String requestId;
        private final int tryNumber;

        TryListener(final String requestId, final int tryNumber) {
            this.requestId = requestId;
            this.tryNumber = tryNumber;
        }

        @Override
        public void onChunk(final JsonNode chunk) {
            inbox.add(new Inbound.Chunk(requestId, tryNumber, chunk));
        }

        @Override
        public void onComplete(final JsonNode completionOrNull) {
            inbox.add(new Inbound.Completed(requestId, tryNumber, completionOrNull));
        }

        @Override
        public void onFailure(final UpstreamFailure failure) {
            inbox.add(new Inbound.Failed(requestId, tryNumber, failure));
        }
    }
}
