package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.ResponseEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Turns the response events of one request, as Kafka delivers them (duplicated by producer retries, from more than
 * one attempt after a worker failover), into what the client sees: chunks in seq order, each once, from one attempt
 * only, then exactly one end. Not thread-safe: one instance per request, fed by one thread at a time.
 *
 * <p>Rules, in order:
 * <ol>
 *   <li>lifecycle markers (queued, started) are never part of a reply and are dropped;</li>
 *   <li>after the end has been delivered, everything is dropped;</li>
 *   <li>once locked to attempt A (below), an event of an earlier attempt, an error included, is dropped;</li>
 *   <li>an error event ends the reply at once, whatever its seq;</li>
 *   <li>before any chunk: a complete event is delivered and ends the reply; chunk 0 locks the reply to its attempt;
 *       later chunks wait until the gap before them fills;</li>
 *   <li>once locked to attempt A: an event of a later attempt means A's worker died after the client saw part of
 *       A's tokens, and a re-run would repeat them, so the reply ends with a 502 error; a seq already delivered is a
 *       duplicate and is
 *       dropped; the next seq is delivered with whatever waited behind it; a later seq waits.</li>
 * </ol>
 */
public final class ReplySequencer {

    /** More out-of-order events than this means the gap will not fill: end the reply instead of holding memory. */
    static final int MAX_WAITING = 10_000;

    static final String FAILOVER_MESSAGE = "the worker serving this stream failed; the stream cannot be resumed";

    private final Map<Integer, NavigableMap<Long, ResponseEvent>> waiting = new HashMap<>();
    private int waitingCount;
    private Integer lockedAttempt;
    private long nextSeq;
    private boolean finished;

    /** The replies this event releases, in order; empty when it must wait or be dropped. */
    public List<Reply> accept(final ResponseEvent event) {
        if (finished || event.type() == null || event.type().isMarker()) {
            return List.of();
        }
        if (lockedAttempt != null && event.attempt() < lockedAttempt) {
            // a generation the client never saw, its error included: it must not end a stream of a newer one
            return List.of();
        }
        if (event.type() == EventType.ERROR) {
            return finish(failure(event));
        }
        if (lockedAttempt == null) {
            return acceptBeforeFirstChunk(event);
        }
        if (event.attempt() > lockedAttempt) {
            return finish(Reply.Failed.of(ApiError.upstream(502, FAILOVER_MESSAGE)));
        }
        if (event.seq() < nextSeq) {
            return List.of();
        }
        if (event.seq() > nextSeq) {
            return await(event);
        }
        final List<Reply> released = new ArrayList<>();
        deliver(event, released);
        drain(released);
        return released;
    }

    /** True once the end (complete or error) has been released. */
    public boolean isFinished() {
        return finished;
    }

    private List<Reply> acceptBeforeFirstChunk(final ResponseEvent event) {
        if (event.type() == EventType.COMPLETE) {
            return finish(new Reply.Complete(event.seq(), event.data()));
        }
        if (event.seq() != 0) {
            return event.seq() > 0 ? await(event) : List.of();
        }
        lockedAttempt = event.attempt();
        // what other attempts left waiting was never shown to the client: it can go
        waiting.keySet().removeIf(attempt -> attempt != event.attempt());
        waitingCount = waiting.getOrDefault(event.attempt(), new TreeMap<>()).size();
        final List<Reply> released = new ArrayList<>();
        deliver(event, released);
        drain(released);
        return released;
    }

    private List<Reply> await(final ResponseEvent event) {
        final ResponseEvent previous = waiting.computeIfAbsent(event.attempt(), attempt -> new TreeMap<>())
                .put(event.seq(), event);
        if (previous == null && ++waitingCount > MAX_WAITING) {
            return finish(Reply.Failed.of(ApiError.upstream(502,
                    "reply events were lost: seq " + nextSeq + " never arrived")));
        }
        return List.of();
    }

    private void deliver(final ResponseEvent event, final List<Reply> released) {
        if (event.type() == EventType.COMPLETE) {
            released.add(new Reply.Complete(event.seq(), event.data()));
            finished = true;
            waiting.clear();
            return;
        }
        released.add(new Reply.Chunk(event.seq(), event.data()));
        nextSeq = event.seq() + 1;
    }

    private void drain(final List<Reply> released) {
        final NavigableMap<Long, ResponseEvent> queue = waiting.get(lockedAttempt);
        while (!finished && queue != null && !queue.isEmpty() && queue.firstKey() <= nextSeq) {
            final ResponseEvent event = queue.pollFirstEntry().getValue();
            waitingCount--;
            if (event.seq() == nextSeq) {
                deliver(event, released);
            }
        }
    }

    private List<Reply> finish(final Reply end) {
        finished = true;
        waiting.clear();
        waitingCount = 0;
        return List.of(end);
    }

    /** An error event as the client must get it: a 4xx/5xx status and an OpenAI error body, whatever the worker sent. */
    private static Reply.Failed failure(final ResponseEvent event) {
        final int status = event.status() == null || event.status() < 400 || event.status() > 599
                ? 502 : event.status();
        final JsonNode data = event.data();
        if (data != null && data.path("error").isObject()) {
            return new Reply.Failed(event.seq(), status, data);
        }
        final ApiError error = ApiError.fromBody(status, data, "the request failed without an explanation");
        return new Reply.Failed(event.seq(), status, error.toJson());
    }
}
