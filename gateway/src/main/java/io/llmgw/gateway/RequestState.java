package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.QueuedRequest;
import io.llmgw.schemas.ResponseEvent;

import java.time.Duration;
import java.util.Set;

/**
 * What the gateway's request results know about one request: the value of the results store, keyed by request id,
 * built from the request's events as they pass on the events topic. Pure: {@link #apply} returns the next state (the
 * same instance when an event changes nothing, so that chunks of a running stream cost no store write).
 *
 * <p>The chunks themselves are not copied here: the events topic keeps them, and {@link #partition()} and
 * {@link #firstOffset()} say where this request's events start, which is all a replay needs.
 *
 * @param id           request id
 * @param status       where it stands
 * @param model        the model asked for (from the first event that describes the request: the queued marker of
 *                     an async submit, else the worker's first event or started marker; null until one is seen)
 * @param endpoint     the OpenAI operation, or null when unknown
 * @param stream       whether the client asked for SSE
 * @param detached     whether it was an async submit
 * @param keyId        the non-secret id of the caller's API key, or null
 * @param createdAtMs  when the gateway accepted it (or when its first event was seen)
 * @param deadlineMs   its deadline, 0 when unknown
 * @param updatedAtMs  when the status last changed
 * @param finishedAtMs when it reached a final status, 0 before
 * @param partition    the events partition holding its events
 * @param firstOffset  the offset of its first event in that partition
 * @param httpStatus   the status of its error, 0 unless it ended with one
 * @param response     the completion object of a completed non-streaming request; for a streamed Responses
 *                     request the {@code response} of its last response event ({@code response.completed}, ...);
 *                     else null
 * @param error        the OpenAI error object ({@code {"message", "type", "param", "code"}}) it ended with, else null
 * @param startedAtMs  when a worker started its call (the {@code started} marker's timestamp), 0 before
 * @param usage        the host's last reported {@code usage} object (a completion's, a stream's usage chunk, a
 *                     final response's), else null: what its usage record counts
 */
public record RequestState(
        String id,
        RequestStatus status,
        String model,
        Endpoint endpoint,
        boolean stream,
        boolean detached,
        String keyId,
        long createdAtMs,
        long deadlineMs,
        long updatedAtMs,
        long finishedAtMs,
        int partition,
        long firstOffset,
        int httpStatus,
        JsonNode response,
        JsonNode error,
        long startedAtMs,
        JsonNode usage) {

    /** {@link #forgetAtMs} of a state that time alone never forgets. */
    public static final long NOT_BY_TIME = -1;

    /** A state that has not heard of a start or of usage (tests, and states written before those fields). */
    public RequestState(final String id, final RequestStatus status, final String model, final Endpoint endpoint,
                        final boolean stream, final boolean detached, final String keyId, final long createdAtMs,
                        final long deadlineMs, final long updatedAtMs, final long finishedAtMs, final int partition,
                        final long firstOffset, final int httpStatus, final JsonNode response, final JsonNode error) {
        this(id, status, model, endpoint, stream, detached, keyId, createdAtMs, deadlineMs, updatedAtMs, finishedAtMs,
                partition, firstOffset, httpStatus, response, error, 0, null);
    }

    /** The Responses stream events whose {@code response} is the final response object. */
    static final Set<String> FINAL_RESPONSE_EVENTS = Set.of("response.completed", "response.incomplete",
            "response.failed");

    /** The state of a request whose first event this is. */
    public static RequestState first(final ResponseEvent event, final int partition, final long offset,
                                     final long timestampMs, final long nowMs) {
        return new RequestState(event.id(), RequestStatus.QUEUED, null, null, false, false, null, nowMs, 0, nowMs,
                0, partition, offset, 0, null, null).apply(event, offset, timestampMs, nowMs);
    }

    /**
     * The state after {@code event}, found at {@code offset} with record timestamp {@code timestampMs}. A final state
     * keeps its outcome: later events (duplicates, a late attempt) cannot change it.
     */
    public RequestState apply(final ResponseEvent event, final long offset, final long timestampMs, final long nowMs) {
        RequestState next = offset < firstOffset ? withFirstOffset(offset) : this;
        if (next.model == null) {
            final QueuedRequest described = describedBy(event);
            if (described != null) {
                next = next.describedBy(described);
            }
        }
        if (event.request() != null && event.request().startedAtMs() > 0) {
            next = next.startedAt(event.request().startedAtMs()); // the worker's word, marker or not
        }
        if (next.status.isFinal()) {
            return next;
        }
        return switch (event.type()) {
            case QUEUED -> next;
            case STARTED -> (next.status == RequestStatus.RUNNING ? next : next.moved(RequestStatus.RUNNING, nowMs))
                    .startedAt(timestampMs); // kept only when the marker did not say (an older worker)
            case CHUNK -> {
                final RequestState running = next.status == RequestStatus.RUNNING ? next
                        : next.moved(RequestStatus.RUNNING, nowMs);
                yield running.withResponseOf(event.data()).withUsage(event.usage());
            }
            case COMPLETE -> {
                final RequestState used = next.withUsage(event.usage());
                yield used.finished(RequestStatus.COMPLETED, 0,
                        event.data() == null || event.data().isNull() ? used.response : event.data(), null, nowMs);
            }
            case ERROR -> {
                final JsonNode error = errorObject(event);
                yield next.finished(next.endedBy(event, error, timestampMs), httpStatus(event), null, error, nowMs);
            }
        };
    }

    /**
     * Expired when no worker ended it by {@code grace} after its deadline: a request whose model has no running
     * worker, or whose worker died with it, would otherwise stay queued or running until it is forgotten.
     */
    public RequestState expiredIfOverdue(final long nowMs, final Duration grace) {
        if (status.isFinal() || deadlineMs <= 0 || nowMs < deadlineMs + grace.toMillis()) {
            return this;
        }
        final ApiError error = ApiError.timeout("the request's deadline passed before a worker ended it");
        return finished(RequestStatus.EXPIRED, error.status(), null, error.toJson().get("error"), nowMs);
    }

    /**
     * Whether the results may forget it: {@code retention} after it finished; an unfinished request with a known
     * deadline is first expired, one without is kept for {@code retention} after it was first seen.
     */
    public boolean isForgottenAt(final long nowMs, final Duration retention) {
        final long forgetAt = forgetAtMs(retention);
        return forgetAt != NOT_BY_TIME && nowMs >= forgetAt;
    }

    /**
     * When {@link #isForgottenAt} turns true: {@code retention} after it finished, or after it was first seen for an
     * unfinished request without a deadline; {@link #NOT_BY_TIME} for an unfinished one with a deadline (it is expired
     * first, and that final state has a time of its own).
     */
    public long forgetAtMs(final Duration retention) {
        if (status.isFinal()) {
            return finishedAtMs + retention.toMillis();
        }
        return deadlineMs <= 0 ? createdAtMs + retention.toMillis() : NOT_BY_TIME;
    }

    /**
     * How an error event ended the request: cancelled when its client went away; expired when it is a timeout at or
     * after the request's deadline (the event's timestamp is the ending worker's clock, the clock it judged the
     * deadline by); failed otherwise, a worker's first-token or idle timeout included.
     */
    private RequestStatus endedBy(final ResponseEvent event, final JsonNode error, final long timestampMs) {
        if (error != null && "cancelled".equals(error.path("code").asText(null))) {
            return RequestStatus.CANCELLED;
        }
        if (httpStatus(event) == 504 && deadlineMs > 0 && timestampMs >= deadlineMs) {
            return RequestStatus.EXPIRED;
        }
        return RequestStatus.FAILED;
    }

    private static int httpStatus(final ResponseEvent event) {
        return event.status() == null ? 502 : event.status();
    }

    private static JsonNode errorObject(final ResponseEvent event) {
        final JsonNode data = event.data();
        if (data != null && data.path("error").isObject()) {
            return data.get("error");
        }
        return ApiError.fromBody(httpStatus(event), data, "the request failed without an explanation").toJson()
                .get("error");
    }

    /**
     * What an event says the request is: an attempt's first event and the markers carry it ({@code request}); a
     * queued marker of an older version only in its data.
     */
    private static QueuedRequest describedBy(final ResponseEvent event) {
        if (event.request() != null) {
            return event.request();
        }
        if (event.type() == EventType.QUEUED && event.data() != null && event.data().isObject()) {
            return Json.MAPPER.convertValue(event.data(), QueuedRequest.class);
        }
        return null;
    }

    private RequestState describedBy(final QueuedRequest queued) {
        return new RequestState(id, status, queued.model(), queued.endpoint(), queued.stream(), queued.detached(),
                queued.keyId(), queued.receivedAtMs() > 0 ? queued.receivedAtMs() : createdAtMs, queued.deadlineMs(),
                updatedAtMs, finishedAtMs, partition, firstOffset, httpStatus, response, error, startedAtMs, usage);
    }

    /**
     * The state holding the response object of a Responses stream's final event (the events topic has the rest);
     * the same instance for every other chunk, so that they cost no store write.
     */
    private RequestState withResponseOf(final JsonNode chunk) {
        if (endpoint != Endpoint.RESPONSES || chunk == null || !chunk.path("response").isObject()
                || !FINAL_RESPONSE_EVENTS.contains(chunk.path("type").asText())) {
            return this;
        }
        return new RequestState(id, status, model, endpoint, stream, detached, keyId, createdAtMs, deadlineMs,
                updatedAtMs, finishedAtMs, partition, firstOffset, httpStatus, chunk.get("response"), error, startedAtMs,
                usage);
    }

    /** The first start's time (a re-run after failover keeps the first: queue wait ends when work began). */
    private RequestState startedAt(final long timestampMs) {
        if (startedAtMs > 0) {
            return this;
        }
        return new RequestState(id, status, model, endpoint, stream, detached, keyId, createdAtMs, deadlineMs,
                updatedAtMs, finishedAtMs, partition, firstOffset, httpStatus, response, error, timestampMs, usage);
    }

    /**
     * With the host's latest usage: a completion's, a stream's usage chunk, or the usage inside a final Responses
     * event's {@code response}; the same instance when {@code reported} is null and no response holds usage.
     */
    private RequestState withUsage(final JsonNode reported) {
        JsonNode found = reported;
        if ((found == null || found.isNull()) && response != null && response.path("usage").isObject()) {
            found = response.get("usage");
        }
        if (found == null || found.isNull() || found.equals(usage)) {
            return this;
        }
        return new RequestState(id, status, model, endpoint, stream, detached, keyId, createdAtMs, deadlineMs,
                updatedAtMs, finishedAtMs, partition, firstOffset, httpStatus, response, error, startedAtMs, found);
    }

    private RequestState withFirstOffset(final long offset) {
        return new RequestState(id, status, model, endpoint, stream, detached, keyId, createdAtMs, deadlineMs,
                updatedAtMs, finishedAtMs, partition, offset, httpStatus, response, error, startedAtMs, usage);
    }

    private RequestState moved(final RequestStatus next, final long nowMs) {
        return new RequestState(id, next, model, endpoint, stream, detached, keyId, createdAtMs, deadlineMs, nowMs,
                finishedAtMs, partition, firstOffset, httpStatus, response, error, startedAtMs, usage);
    }

    private RequestState finished(final RequestStatus end, final int endStatus, final JsonNode endResponse,
                                  final JsonNode endError, final long nowMs) {
        return new RequestState(id, end, model, endpoint, stream, detached, keyId, createdAtMs, deadlineMs, nowMs,
                nowMs, partition, firstOffset, endStatus, endResponse, endError, startedAtMs, usage);
    }
}
