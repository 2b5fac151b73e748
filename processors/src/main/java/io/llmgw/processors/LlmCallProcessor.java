package io.llmgw.processors;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.DeadLetterHeaders;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.RequestLog;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;

/**
 * The stream task's half of a worker: reads each request of a model topic, records it as {@code waiting} in the
 * changelogged in-flight store and hands it to the instance's {@link CallScheduler}, which starts it when a slot is
 * free and sends its events. {@code process()} never waits for a slot, for HTTP or for anything else.
 *
 * <p><b>Threading notes.</b> Kafka Streams calls {@link #init}, {@link #process}, the punctuator and {@link #close} on
 * the task's stream thread; {@code context}, {@code store}, {@code ended} and {@code leftovers} belong to it alone.
 * The scheduler reports back only through the task's {@link TaskLane}, whose queued store changes the stream thread
 * applies at every {@code process()} and every {@link WorkerOptions#storeInterval()}.
 *
 * <p><b>Guarantees.</b> The waiting entry is written before {@code process()} returns, so Kafka Streams flushes it to
 * the changelog before it commits the input offset: no committed offset passes a request that is neither finished
 * nor recorded. An entry is deleted only after the broker acknowledged the request's terminal event (or its
 * hand-over to a fallback). A request that ends here, before it is queued (expired, cancelled, not resumable), gets
 * its one event through the task's own sink, which is flushed before the commit as well.
 *
 * <p><b>Resuming.</b> A task that starts with entries in its store (restart, failover, a replaced stream thread)
 * queues each again as the next attempt (seqs restart at 0; the gateway never mixes attempts), whether it was
 * waiting or running, because a running mark reaches the store a little after the call started. A stream whose
 * first chunk is known to have been sent ends with an explicit error instead, since it cannot be resumed exactly.
 */
public final class LlmCallProcessor implements Processor<String, byte[], String, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(LlmCallProcessor.class);

    private final JsonSerde<RequestEnvelope> envelopes;
    private final ModelSpec model;
    private final WorkerOptions options;
    private final CallScheduler scheduler;

    private ProcessorContext<String, Object> context;
    private InFlightStore store;
    private TaskLane lane;
    private List<InFlightEntry> leftovers = List.of();
    private final RecentlyEnded ended = new RecentlyEnded(RecentlyEnded.CAPACITY);
    private Cancellable ticker;

    public LlmCallProcessor(final Topics topics, final ModelSpec model, final WorkerOptions options) {
        this.envelopes = topics.modelRequests(model.name()).valueSerde();
        this.model = model;
        this.options = options;
        this.scheduler = options.scheduler();
    }

    @Override
    public void init(final ProcessorContext<String, Object> context) {
        this.context = context;
        this.store = new InFlightStore(context.getStateStore(InFlightStore.NAME));
        this.lane = scheduler.openLane(model.name() + "/" + context.taskId());
        // Forwarding and store writes wait for the first process() or punctuation, where a record context exists.
        this.leftovers = store.readAll();
        if (!leftovers.isEmpty()) {
            LOG.info("task {} of {} resumes {} unfinished requests", context.taskId(), model.name(), leftovers.size());
        }
        ticker = context.schedule(options.storeInterval(), PunctuationType.WALL_CLOCK_TIME, now -> catchUp());
    }

    @Override
    public void process(final Record<String, byte[]> record) {
        catchUp();
        final RequestEnvelope envelope = readEnvelope(record);
        if (envelope == null) {
            return;
        }
        if (store.contains(envelope.id())) {
            // Its offset had not been committed when the task moved, but the in-flight store had it: already queued.
            RequestLog.with(envelope.id(), () ->
                    LOG.debug("request {} is already held here; ignoring its redelivered copy", envelope.id()));
            return;
        }
        if (ended.contains(envelope.id())) {
            // A copy read again (a router or batch driver that crashed re-sent it) of a request that ended here.
            RequestLog.with(envelope.id(), () ->
                    LOG.info("request {} ended here already; ignoring its copy", envelope.id()));
            return;
        }
        if (!endsBeforeQueueing(envelope)) {
            store.put(InFlightEntry.waiting(envelope)); // before the offset can commit
            scheduler.offer(lane, envelope);
        }
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.cancel();
        }
        // The store keeps this task's requests for its next owner; the scheduler stops their calls meanwhile.
        if (lane != null) {
            scheduler.closeLane(lane);
        }
    }

    private void catchUp() {
        resumeLeftovers();
        lane.applyTo(store, ended);
    }

    private void resumeLeftovers() {
        if (leftovers.isEmpty()) {
            return;
        }
        final List<InFlightEntry> entries = leftovers;
        leftovers = List.of();
        for (final InFlightEntry entry : entries) {
            // The previous owner may have sent events of the old attempt: the new one counts up and starts at seq 0.
            final RequestEnvelope next = entry.request().withAttempt(entry.request().attempt() + 1);
            if (endsBeforeQueueing(next)) {
                store.remove(next.id());
            } else if (entry.streamStarted()) {
                store.remove(next.id());
                emit(ResponseEvent.error(next, 0, ApiError.upstream(502,
                        "the worker serving this stream stopped; partial stream cannot be resumed")));
                options.metrics().failed(502);
            } else {
                RequestLog.with(next.id(), () -> LOG.info("re-queueing request {} ({} before) as attempt {}",
                        next.id(), entry.state().wireName(), next.attempt()));
                store.put(InFlightEntry.waiting(next));
                scheduler.offer(lane, next);
            }
        }
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
    private boolean endsBeforeQueueing(final RequestEnvelope envelope) {
        if (envelope.isExpiredAt(scheduler.nowMs())) {
            emit(ResponseEvent.error(envelope, 0, ApiError.timeout("deadline passed before a worker picked it up")));
            options.metrics().failed(504);
            return true;
        }
        final Optional<CancelReason> cancelled = options.cancels().reasonFor(envelope);
        if (cancelled.isPresent()) {
            RequestLog.with(envelope.id(), () -> LOG.info(
                    "request {} for {} was cancelled ({}) before it started: skipped, the LLM host never sees it",
                    envelope.id(), model.name(), cancelled.get()));
            emit(ResponseEvent.error(envelope, 0, cancelledError(cancelled.get())));
            options.metrics().cancelled(cancelled.get());
            return true;
        }
        return false;
    }

    private void emit(final ResponseEvent event) {
        context.forward(new Record<String, Object>(event.id(), event, scheduler.nowMs()), WorkerTopology.EVENTS_SINK);
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
}
