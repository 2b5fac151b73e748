package io.llmgw.gateway;

import io.javalin.http.Context;
import io.javalin.http.Header;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.ResponseEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * Requests you can come back to, from any gateway instance:
 * <ul>
 *   <li>{@code GET /v1/requests/{id}}: status ({@code queued}, {@code running}, {@code completed}, {@code failed},
 *       {@code cancelled}, {@code expired}) and, once finished, the completion or the error;</li>
 *   <li>{@code GET /v1/requests/{id}/events}: the request's events as SSE after {@code Last-Event-ID} (header) or
 *       {@code ?after=}, then the live ones until {@code [DONE]}; ids are the events' seqs, as on the original
 *       stream;</li>
 *   <li>{@code GET /internal/requests/{id}}: the stored state, for a peer that forwards a lookup here.</li>
 * </ul>
 * With API keys enforced, a request is visible only with the key that submitted it (to others it does not exist).
 */
final class RequestsHandler {

    static final String PATH_PREFIX = "/v1/requests/";
    static final String LAST_EVENT_ID = "Last-Event-ID";

    private static final Logger LOG = LoggerFactory.getLogger(RequestsHandler.class);

    private final GatewayConfig config;
    private final BearerAuth auth;
    private final RequestDirectory directory;
    private final EventLog eventLog;
    /** Followers of {@code /events} at once: each holds a Kafka consumer for as long as it follows. */
    private final Semaphore followers;

    RequestsHandler(final GatewayConfig config, final BearerAuth auth, final RequestDirectory directory,
                    final EventLog eventLog) {
        this.config = config;
        this.auth = auth;
        this.directory = directory;
        this.eventLog = eventLog;
        this.followers = new Semaphore(config.maxFollowers());
    }

    void show(final Context ctx) {
        final String id = ctx.pathParam("id");
        final Optional<RequestState> state = visibleState(ctx, id, noSuchRequest(id));
        state.ifPresent(found -> JsonResponse.send(ctx, 200, RequestView.of(found)));
    }

    /** The stored state for a peer; the route checks the peer's key before this runs. */
    void internal(final Context ctx) {
        final String id = ctx.pathParam("id");
        switch (directory.findHere(id)) {
            case RequestDirectory.Lookup.Found found ->
                    JsonResponse.send(ctx, 200, Json.MAPPER.valueToTree(found.state()));
            case RequestDirectory.Lookup.Missing missing -> JsonResponse.error(ctx, noSuchRequest(id));
            case RequestDirectory.Lookup.Elsewhere elsewhere -> JsonResponse.error(ctx,
                    ApiError.unavailable("Request " + id + " is not held by this gateway (any more); retry."));
            case RequestDirectory.Lookup.Unavailable unavailable ->
                    JsonResponse.error(ctx, ApiError.unavailable(unavailable.reason()));
        }
    }

    void events(final Context ctx) {
        final String id = ctx.pathParam("id");
        final String lastSeen = lastEventId(ctx);
        final long after;
        try {
            after = lastSeen == null ? -1 : Long.parseLong(lastSeen);
        } catch (final NumberFormatException e) {
            JsonResponse.error(ctx, ApiError.badRequest(LAST_EVENT_ID + " and 'after' must be an event id (a whole"
                    + " number), got '" + lastSeen + "'.", "after"));
            return;
        }
        final Optional<RequestState> found = visibleState(ctx, id, noSuchRequest(id));
        if (found.isPresent()) {
            replay(ctx, found.get(), after, CompletionChunks.FORMAT);
        }
    }

    /**
     * Answers with the events of {@code state}'s request after seq {@code after}, then the live ones, in
     * {@code format}; refused with 429 while {@code GATEWAY_MAX_FOLLOWERS} clients follow on this instance.
     */
    void replay(final Context ctx, final RequestState state, final long after, final ReplyWriter.Format format) {
        final String id = state.id();
        if (!followers.tryAcquire()) {
            JsonResponse.error(ctx, new ApiError(429, "Too many clients follow request events on this gateway"
                    + " (at most " + config.maxFollowers() + ", GATEWAY_MAX_FOLLOWERS); retry shortly or poll "
                    + PATH_PREFIX + id + ".", "rate_limit_error", null, "too_many_followers"));
            return;
        }
        try {
            follow(ctx, id, state, after, format);
        } finally {
            followers.release();
        }
    }

    private void follow(final Context ctx, final String id, final RequestState state, final long after,
                        final ReplyWriter.Format format) {
        final Optional<EventLog.Cursor> opened = eventLog.open(id, state.partition(), state.firstOffset());
        if (opened.isEmpty()) {
            JsonResponse.error(ctx, new ApiError(410, "The events of request " + id + " are no longer kept by Kafka;"
                    + " its status is still available at " + PATH_PREFIX + id + ".", "invalid_request_error", null,
                    "events_expired"));
            return;
        }
        try (EventLog.Cursor cursor = opened.get()) {
            follow(ctx, state, cursor, after, format);
        } catch (final IOException e) {
            // a viewer leaving ends only its view: the request itself goes on
            LOG.debug("viewer of {} went away: {}", id, e.toString());
        }
    }

    /**
     * Replays and then follows: one sequential read of the partition from the request's first event, through the
     * same sequencer a live reply uses, so the client sees what the original client saw, after its last event id.
     * Ends with {@code [DONE]} after the terminal event; a request nobody ends is given up {@code grace} after its
     * deadline, once everything the topic holds has been read.
     */
    private void follow(final Context ctx, final RequestState state, final EventLog.Cursor cursor, final long after,
                        final ReplyWriter.Format format) throws IOException {
        final ReplyWriter stream = format.open(SseStream.open(ctx.res()), state.id());
        final ClientConnection client = ClientConnection.of(ctx);
        final ReplySequencer sequencer = new ReplySequencer();
        final long giveUpAtMs = (state.deadlineMs() > 0 ? state.deadlineMs()
                : System.currentTimeMillis() + config.requestTimeout().toMillis())
                + RequestResultsTopology.EXPIRY_GRACE.toMillis();
        long lastWriteNanos = System.nanoTime();
        while (true) {
            for (final ResponseEvent event : cursor.poll(ClientConnection.CHECK_INTERVAL)) {
                for (final Reply reply : sequencer.accept(event)) {
                    if (deliver(stream, reply, after)) {
                        return;
                    }
                    lastWriteNanos = System.nanoTime();
                }
            }
            if (cursor.caughtUp() && System.currentTimeMillis() >= giveUpAtMs) {
                stream.fail(Reply.NO_SEQ, ApiError.timeout("Request " + state.id()
                        + " passed its deadline without an end.").toJson());
                return;
            }
            if (System.nanoTime() - lastWriteNanos >= config.sseKeepAlive().toNanos()) {
                stream.keepAlive();
                lastWriteNanos = System.nanoTime();
            }
            if (client.isGone()) {
                throw new IOException("the client closed the connection");
            }
        }
    }

    /** Writes one reply unless the client saw it already; true when it ended the stream. */
    private static boolean deliver(final ReplyWriter stream, final Reply reply, final long after) throws IOException {
        switch (reply) {
            case Reply.Chunk chunk -> {
                if (chunk.seq() > after && chunk.data() != null && !chunk.data().isNull()) {
                    stream.chunk(chunk.seq(), chunk.data());
                }
                return false;
            }
            case Reply.Complete complete -> {
                final boolean unseen = complete.seq() > after;
                if (unseen && complete.data() != null && !complete.data().isNull()) {
                    // a non-streaming request's completion: the one event it has
                    stream.chunk(complete.seq(), complete.data());
                    stream.end(Reply.NO_SEQ);
                } else {
                    stream.end(unseen ? complete.seq() : Reply.NO_SEQ);
                }
                return true;
            }
            case Reply.Failed failed -> {
                if (failed.seq() < 0 || failed.seq() > after) {
                    stream.fail(failed.seq(), failed.body());
                } else {
                    stream.end(Reply.NO_SEQ);
                }
                return true;
            }
        }
    }

    /**
     * The request's state when the caller may see it; otherwise the error ({@code missing} for one that does not
     * exist or is not the caller's) has been answered and it is empty.
     */
    Optional<RequestState> visibleState(final Context ctx, final String id, final ApiError missing) {
        final String authorization = ctx.header(Header.AUTHORIZATION);
        final String keyId;
        switch (auth.check(authorization)) {
            case BearerAuth.Outcome.Denied denied -> {
                JsonResponse.error(ctx, denied.error());
                return Optional.empty();
            }
            case BearerAuth.Outcome.Allowed allowed -> keyId = allowed.keyId();
        }
        switch (directory.find(id, authorization)) {
            case RequestDirectory.Lookup.Found found when visibleTo(found.state(), keyId) -> {
                return Optional.of(found.state());
            }
            case RequestDirectory.Lookup.Found hidden -> JsonResponse.error(ctx, missing);
            case RequestDirectory.Lookup.Missing nothing -> JsonResponse.error(ctx, missing);
            case RequestDirectory.Lookup.Elsewhere elsewhere -> JsonResponse.error(ctx,
                    ApiError.unavailable("The gateway holding request " + id + " did not answer; retry shortly."));
            case RequestDirectory.Lookup.Unavailable unavailable -> JsonResponse.error(ctx, ApiError.unavailable(
                    "Request " + id + " cannot be looked up right now (" + unavailable.reason() + "); retry shortly."));
        }
        return Optional.empty();
    }

    private boolean visibleTo(final RequestState state, final String keyId) {
        return !auth.enforced() || state.keyId() == null || state.keyId().equals(keyId);
    }

    private static ApiError noSuchRequest(final String id) {
        return ApiError.notFound("No request with id '" + id + "' is known (it may be older than the result"
                + " retention).");
    }

    /** The last event id the client saw: {@code Last-Event-ID}, else {@code ?after=}, else null (none). */
    private static String lastEventId(final Context ctx) {
        final String header = ctx.header(LAST_EVENT_ID);
        final String value = header != null && !header.isBlank() ? header : ctx.queryParam("after");
        return value == null || value.isBlank() ? null : value.strip();
    }
}
