package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The Responses API's routes for a response that exists, from any gateway instance (the request results hold every
 * request, {@link RequestDirectory} finds the instance that has it):
 * <ul>
 *   <li>{@code GET /v1/responses/{id}}: the response object ({@link ResponseView}); with {@code ?stream=true} its
 *       events after {@code starting_after} (a sequence number), then the live ones, each once and in order, read
 *       back from the events topic by the same follower that serves {@code /v1/requests/{id}/events};</li>
 *   <li>{@code POST /v1/responses/{id}/cancel}: a background response is cancelled (a cancel record on the control
 *       topic; the worker aborts the host's call) and answered with status {@code cancelled};</li>
 *   <li>{@code DELETE /v1/responses/{id}}: cancels it if it still runs and answers {@code response.deleted}.</li>
 * </ul>
 * The handlers run on Javalin's virtual threads; nothing here is shared between requests but its collaborators.
 */
final class ResponsesHandler {

    static final String PATH_PREFIX = "/v1/responses/";

    private static final Logger LOG = LoggerFactory.getLogger(ResponsesHandler.class);
    /** How long a cancel waits for the worker's end to reach the request results before it answers anyway. */
    private static final Duration CANCEL_SETTLE = Duration.ofSeconds(3);
    private static final long SETTLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final RequestsHandler requests;
    private final RequestDirectory directory;
    private final RequestPublisher publisher;
    private final GatewayMetrics metrics;
    private final Clock clock;

    ResponsesHandler(final RequestsHandler requests, final RequestDirectory directory,
                     final RequestPublisher publisher, final GatewayMetrics metrics, final Clock clock) {
        this.requests = requests;
        this.directory = directory;
        this.publisher = publisher;
        this.metrics = metrics;
        this.clock = clock;
    }

    void show(final Context ctx) {
        final String streamParam = ctx.queryParam("stream");
        final boolean stream = "true".equalsIgnoreCase(streamParam);
        if (streamParam != null && !stream && !"false".equalsIgnoreCase(streamParam)) {
            JsonResponse.error(ctx, ApiError.badRequest("'stream' must be true or false, got '" + streamParam + "'.",
                    "stream"));
            return;
        }
        final long after;
        final String startingAfter = ctx.queryParam("starting_after");
        try {
            after = startingAfter == null || startingAfter.isBlank() ? -1 : Long.parseLong(startingAfter.strip());
        } catch (final NumberFormatException e) {
            JsonResponse.error(ctx, ApiError.badRequest("'starting_after' must be a sequence number (a whole number),"
                    + " got '" + startingAfter + "'.", "starting_after"));
            return;
        }
        final Optional<RequestState> found = find(ctx);
        if (found.isEmpty()) {
            return;
        }
        if (!stream) {
            JsonResponse.send(ctx, 200, ResponseView.of(found.get()));
        } else if (!found.get().stream()) {
            JsonResponse.error(ctx, ApiError.badRequest("Response " + ctx.pathParam("id") + " was not streamed;"
                    + " only background and streaming responses can be streamed again.", "stream"));
        } else {
            requests.replay(ctx, found.get(), after, ResponsesEvents.FORMAT);
        }
    }

    void cancel(final Context ctx) {
        final Optional<RequestState> found = find(ctx);
        if (found.isEmpty()) {
            return;
        }
        final RequestState state = found.get();
        if (!state.detached()) {
            JsonResponse.error(ctx, ApiError.badRequest("Only background responses can be cancelled; response "
                    + ctx.pathParam("id") + " was not created with background: true.", null));
            return;
        }
        JsonResponse.send(ctx, 200, ResponseView.of(cancelled(state, ctx.header(Header.AUTHORIZATION))));
    }

    void delete(final Context ctx) {
        final Optional<RequestState> found = find(ctx);
        if (found.isEmpty()) {
            return;
        }
        if (!found.get().status().isFinal()) {
            cancelled(found.get(), ctx.header(Header.AUTHORIZATION));
        }
        final ObjectNode body = Json.object()
                .put("id", ResponseIds.of(found.get().id()))
                .put("object", "response.deleted")
                .put("deleted", true);
        JsonResponse.send(ctx, 200, body);
    }

    /**
     * Cancels a request that has not ended and waits (up to {@link #CANCEL_SETTLE}) for its end to reach the results,
     * so that the answer and a lookup right after it agree; a request already ended is left as it is.
     */
    private RequestState cancelled(final RequestState state, final String authorization) {
        if (state.status().isFinal()) {
            return state;
        }
        LOG.info("request {} cancelled: {}", state.id(), CancelReason.CLIENT_CANCELLED);
        metrics.recordCancel(CancelReason.CLIENT_CANCELLED);
        publisher.cancel(new CancelCommand(state.id(), CancelReason.CLIENT_CANCELLED, clock.millis()));
        final long until = System.nanoTime() + CANCEL_SETTLE.toNanos();
        while (System.nanoTime() < until) {
            if (directory.find(state.id(), authorization) instanceof RequestDirectory.Lookup.Found found
                    && found.state().status().isFinal()) {
                return found.state();
            }
            LockSupport.parkNanos(SETTLE_POLL_NANOS);
        }
        // the worker's end is still on its way: the cancel is published, and that is what the client asked for
        return new RequestState(state.id(), RequestStatus.CANCELLED, state.model(), state.endpoint(),
                state.stream(), state.detached(), state.keyId(), state.createdAtMs(), state.deadlineMs(),
                clock.millis(), clock.millis(), state.partition(), state.firstOffset(), 408, state.response(), null);
    }

    /** The Responses request behind the path's id, when the caller may see it; else answered with the error. */
    private Optional<RequestState> find(final Context ctx) {
        final String responseId = ctx.pathParam("id");
        final ApiError missing = ApiError.notFound("No response with id '" + responseId + "' is known (it may be"
                + " older than the result retention).");
        final String requestId = ResponseIds.requestOf(responseId);
        if (requestId == null) {
            JsonResponse.error(ctx, missing);
            return Optional.empty();
        }
        final Optional<RequestState> state = requests.visibleState(ctx, requestId, missing);
        if (state.isPresent() && state.get().endpoint() != Endpoint.RESPONSES) {
            JsonResponse.error(ctx, missing);
            return Optional.empty();
        }
        return state;
    }
}
