package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.RequestLog;
import io.llmgw.schemas.ResponseEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;

/**
 * The upstream tries of a started request, on the {@link CallScheduler}'s loop: starting a try, what its callbacks
 * mean, retries with backoff before the first chunk, fallback, and the timers (deadline, total, first-token and idle
 * timeouts). Timers are event-driven: each call has one pending timer, set for the earliest moment one of its limits
 * can pass and re-armed when it fires early (a chunk moved the idle limit), so nothing polls.
 */
final class CallTries {

    private static final Logger LOG = LoggerFactory.getLogger(CallTries.class);

    private final CallScheduler scheduler;

    CallTries(final CallScheduler scheduler) {
        this.scheduler = scheduler;
    }

    void begin(final ScheduledCall call, final long now) {
        final ActiveRequest request = call.active();
        final int tryNumber = request.beginTry(now);
        final UpstreamCall upstreamCall;
        try {
            upstreamCall = scheduler.upstream().start(call.request(), scheduler.model(), listener(call, tryNumber));
        } catch (final RuntimeException e) {
            // The client contract says it reports failures through the listener; a bug must still not stop the loop.
            RequestLog.with(call.id(), () -> LOG.error("upstream client threw for request {}", call.id(), e));
            fail(call, ApiError.upstream(502, "cannot call the LLM host: " + e.getMessage()));
            return;
        }
        scheduler.calling(call, upstreamCall);
        scheduler.metrics().callStarted();
        arm(call);
    }

    private UpstreamListener listener(final ScheduledCall call, final int tryNumber) {
        final SchedulerLoop loop = scheduler.loop();
        return new UpstreamListener() {
            @Override
            public void onChunk(final JsonNode chunk) {
                loop.execute(() -> {
                    if (scheduler.isCurrent(call, tryNumber)) {
                        scheduler.chunk(call, chunk);
                    }
                });
            }

            @Override
            public void onComplete(final JsonNode completionOrNull) {
                loop.execute(() -> {
                    if (scheduler.isCurrent(call, tryNumber)) {
                        scheduler.end(call, ResponseEvent.complete(call.request(), call.active().nextSeq(),
                                completionOrNull));
                        scheduler.metrics().completed();
                    }
                });
            }

            @Override
            public void onFailure(final UpstreamFailure failure) {
                loop.execute(() -> {
                    if (scheduler.isCurrent(call, tryNumber)) {
                        retryOrFail(call, failure);
                    }
                });
            }
        };
    }

    private void retryOrFail(final ScheduledCall call, final UpstreamFailure failure) {
        final ActiveRequest request = call.active();
        final ModelSpec model = scheduler.model();
        scheduler.metrics().upstreamFailed(failure.error().status());
        final long now = scheduler.nowMs();
        if (failure.retryable() && !request.streamStarted() && request.tries() < model.maxAttempts()) {
            final Duration delay = scheduler.retryDelay(request, failure);
            final long dueAt = now + delay.toMillis();
            if (request.hasTimeForRetryAt(dueAt, model)) {
                RequestLog.with(call.id(), () -> LOG.debug("request {} try {} failed ({}); retrying in {} ms",
                        call.id(), request.tries(), failure.error().message(), delay.toMillis()));
                request.retryAt(dueAt);
                scheduler.retrying(call);
                scheduler.metrics().retried();
                arm(call);
                return;
            }
        }
        // only a request that came for this model is handed on: a handed-over one never goes further (no loops)
        if (failure.retryable() && !request.streamStarted() && model.fallback() != null
                && model.name().equals(call.request().model())) {
            RequestLog.with(call.id(), () -> LOG.info("request {} for {} handed to fallback {} after {} tries ({})",
                    call.id(), model.name(), model.fallback(), request.tries(), failure.error().message()));
            scheduler.handOver(call);
            return;
        }
        fail(call, failure.error());
    }

    /**
     * Sets the call's one timer for the earliest moment a limit can pass. Later chunks only move the idle limit later,
     * so they need no new timer; the first chunk can move it earlier (idle shorter than first token) and re-arms.
     */
    void arm(final ScheduledCall call) {
        final long due = call.active().nextCheckAtMs(scheduler.model());
        call.timer(scheduler.loop().schedule(due - scheduler.nowMs(), () -> onTimer(call)));
    }

    private void onTimer(final ScheduledCall call) {
        if (!scheduler.holds(call)) {
            return; // ended meanwhile
        }
        final ActiveRequest request = call.active();
        final long now = scheduler.nowMs();
        if (call.request().isExpiredAt(now)) {
            request.abortCall();
            fail(call, ApiError.timeout("the request's deadline passed before the LLM host finished"));
            return;
        }
        final Optional<String> overdue = request.overdue(now, scheduler.model());
        if (overdue.isPresent()) {
            request.abortCall();
            fail(call, ApiError.timeout(overdue.get()));
        } else if (request.retryDueBy(now)) {
            begin(call, now);
        } else {
            arm(call);
        }
    }

    private void fail(final ScheduledCall call, final ApiError error) {
        scheduler.end(call, ResponseEvent.error(call.request(), call.active().nextSeq(), error));
        scheduler.metrics().failed(error.status());
    }
}
