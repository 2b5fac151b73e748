package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: checks the caller and the body, publishes the
 * request, then answers with the reply as JSON or as a server-sent event stream, or at once with 202 for an async
 * submit ({@code Prefer: respond-async}).
 *
 * <p>The handler runs on a virtual thread and blocks on the request's reply queue until its deadline: the smallest of
 * {@code GATEWAY_REQUEST_TIMEOUT} and the client's timeout headers ({@link RequestTimeouts}). While it waits it checks
 * that the client is still connected ({@link ClientConnection}); a client that went away, a deadline that passed and
 * a failure after publishing each publish a cancel, so that no worker spends GPU time on an answer nobody reads.
 */
final class CompletionsHandler {


    /** Status recorded when the client went away mid-answer (nginx's convention; never sent). */
    static final int CLIENT_CLOSED = 499;

    static final String PREFER = "Prefer";
    static final String RESPOND_ASYNC = "respond-async";

    private static final Logger LOG = LoggerFactory.getLogger(CompletionsHandler.class);

    /** How a request ended, for the metrics: the model (when it was a known one) and the status sent. */
    private record Served(String model, int status) {
    }

    /** Whether a request passed the checks that come before publishing. */
    private sealed interface Admission {

        record Refused(String model, ApiError error) implements Admission {
        }

        record Admitted(RequestValidator.Outcome.Accepted request, String keyId, Duration timeout, boolean async,
                        SchedulingHeaders.Outcome.Scheduling scheduling) implements Admission {
        }
    }

    /** The client closed its connection while the handler waited. */
    private static final class ClientGoneException extends IOException {
        ClientGoneException() {
            super("the client closed the connection", null);
        }
    }

    private final GatewayConfig config;
    private final BearerAuth auth;
    private final BodyLimit bodyLimit;
    private final RequestValidator validator;
    private final RequestPublisher publisher;
    private final PendingReplies replies;
    private final RequestIdMint ids;
    private final BooleanSupplier accepting;
    private final GatewayMetrics metrics;
    private final Clock clock;

    CompletionsHandler(final GatewayConfig config, final BearerAuth auth, final ModelCatalog models,
                       final RequestPublisher publisher, final PendingReplies replies, final RequestIdMint ids,
                       final BooleanSupplier accepting, final GatewayMetrics metrics, final Clock clock) {
        this.config = config;
        this.auth = auth;
        this.bodyLimit = new BodyLimit(config.maxBodyBytes());
        this.validator = new RequestValidator(models);
        this.publisher = publisher;
        this.replies = replies;
        this.ids = ids;
        this.accepting = accepting;
        this.metrics = metrics;
        this.clock = clock;
    }

    void handle(final Context ctx, final Endpoint endpoint) throws InterruptedException {
        final long startedNanos = System.nanoTime();
        final Served served = serve(ctx, endpoint, GatewayHttp.requestId(ctx), startedNanos);
        metrics.recordRequest(served.model(), endpoint, served.status(),
                Duration.ofNanos(System.nanoTime() - startedNanos));
    }

    private Served serve(final Context ctx, final Endpoint endpoint, final String id, final long startedNanos)
            throws InterruptedException {
        return switch (admit(ctx, endpoint)) {
            case Admission.Refused refused -> refuse(ctx, refused.model(), refused.error());
            case Admission.Admitted admitted when admitted.async() -> publishDetached(ctx, id, admitted);
            case Admission.Admitted admitted -> publishAndAnswer(ctx, id, admitted, startedNanos);
        };
    }

    /**
     * The checks in the order the client hears about them: key, scheduling and timeout headers, body size, body, model, then our
     * own state.
     */
    private Admission admit(final Context ctx, final Endpoint endpoint) {
        final BearerAuth.Outcome.Allowed key;
        switch (auth.check(ctx.header(Header.AUTHORIZATION))) {
            case BearerAuth.Outcome.Denied denied -> {
                return new Admission.Refused(null, denied.error());
            }
            case BearerAuth.Outcome.Allowed allowed -> key = allowed;
        }
        final Duration timeout;
        final SchedulingHeaders.Outcome.Scheduling scheduling;
        switch (SchedulingHeaders.resolve(ctx.header(SchedulingHeaders.PRIORITY_HEADER),
                ctx.header(SchedulingHeaders.FAIRNESS_KEY_HEADER), key)) {
            case SchedulingHeaders.Outcome.Invalid invalid -> {
                return new Admission.Refused(null, invalid.error());
            }
            case SchedulingHeaders.Outcome.Scheduling resolved -> scheduling = resolved;
        }
        switch (RequestTimeouts.resolve(config.requestTimeout(), ctx.header(RequestTimeouts.REQUEST_TIMEOUT_HEADER),
                ctx.header(RequestTimeouts.STAINLESS_TIMEOUT_HEADER))) {
            case RequestTimeouts.Outcome.Invalid invalid -> {
                return new Admission.Refused(null, invalid.error());
            }
            case RequestTimeouts.Outcome.Timeout resolved -> timeout = resolved.value();
        }
        final byte[] body;
        try {
            body = bodyLimit.read(ctx.req().getContentLengthLong(), ctx.req().getInputStream());
        } catch (final BodyLimit.TooLargeException e) {
            return new Admission.Refused(null, ApiError.tooLarge(bodyLimit.maxBytes()));
        } catch (final IOException e) {
            return new Admission.Refused(null,
                    ApiError.badRequest("The request body could not be read: " + e.getMessage(), null));
        }
        return switch (validator.validate(endpoint, body)) {
            case RequestValidator.Outcome.Rejected rejected -> new Admission.Refused(null, rejected.error());
            case RequestValidator.Outcome.Accepted accepted when !key.allows(accepted.model()) ->
                    new Admission.Refused(null, ApiError.modelNotFound(accepted.model()));
            case RequestValidator.Outcome.Accepted accepted when !accepting.getAsBoolean() ->
                    new Admission.Refused(accepted.model(),
                            ApiError.unavailable("The gateway is not ready to accept requests; try again shortly."));
            case RequestValidator.Outcome.Accepted accepted ->
                    new Admission.Admitted(accepted, key.keyId(), timeout, prefersAsync(ctx.header(PREFER)), scheduling);
        };
    }

    /** {@code Prefer: respond-async} (RFC 7240), possibly among other preferences. */
    static boolean prefersAsync(final String prefer) {
        if (prefer == null) {
            return false;
        }
        for (final String preference : prefer.split(",")) {
            final String token = preference.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
            if (token.equals(RESPOND_ASYNC)) {
                return true;
            }
        }
        return false;
    }

    private RequestEnvelope envelope(final String id, final Admission.Admitted admitted, final boolean detached) {
        final long nowMs = clock.millis();
        return admitted.request().envelope(id, new RequestValidator.RequestStamp(nowMs,
                nowMs + admitted.timeout().toMillis(), ids.partitionOf(id), config.gatewayId(), admitted.keyId()),
                detached).withScheduling(admitted.scheduling().priority(), admitted.scheduling().fairnessKey());
    }

    /**
     * An async submit: published as detached (a disconnect never cancels it; the worker still ends it at its
     * deadline), answered with 202 and where to find it. Nobody waits here for its reply.
     */
    private Served publishDetached(final Context ctx, final String id, final Admission.Admitted admitted) {
        final String model = admitted.request().model();
        try {
            publisher.publish(envelope(id, admitted, true));
        } catch (final PublishException e) {
            LOG.warn("async request {} for {} not published: {}", id, model, e.getMessage());
            if (e.outcomeUnknown()) {
                cancel(id, CancelReason.PUBLISH_FAILED);
            }
            return refuse(ctx, model, e.error());
        }
        metrics.recordAsyncSubmit(model, admitted.request().endpoint());
        final ObjectNode body = Json.object();
        body.put("id", id);
        body.put("object", RequestView.OBJECT);
        body.put("status", RequestStatus.QUEUED.wireName());
        ctx.header("Location", RequestsHandler.PATH_PREFIX + id);
        ctx.header("Preference-Applied", RESPOND_ASYNC);
        JsonResponse.send(ctx, 202, body);
        return new Served(model, 202);
    }

    private Served publishAndAnswer(final Context ctx, final String id, final Admission.Admitted admitted,
                                    final long startedNanos) throws InterruptedException {
        final RequestValidator.Outcome.Accepted request = admitted.request();
        final RequestEnvelope envelope = envelope(id, admitted, false);
        final long deadlineNanos = startedNanos + admitted.timeout().toNanos();
        // registered before publishing: a reply may come back before publish() even returns
        final PendingReply pending = replies.register(id);
        try {
            try {
                publisher.publish(envelope);
            } catch (final PublishException e) {
                LOG.warn("request {} for {} not published: {}", id, request.model(), e.getMessage());
                if (e.outcomeUnknown()) {
                    cancel(id, CancelReason.PUBLISH_FAILED);
                }
                return refuse(ctx, request.model(), e.error());
            }
            final Waiting waiting = new Waiting(pending, ClientConnection.of(ctx), deadlineNanos, admitted.timeout());
            try {
                final int status = request.stream()
                        ? answerWithStream(ctx, id, waiting)
                        : answerWithJson(ctx, id, waiting);
                return new Served(request.model(), status);
            } catch (final RuntimeException | InterruptedException e) {
                // nobody will read this request's reply any more: stop the work (the error handler answers)
                cancel(id, CancelReason.GATEWAY_ERROR);
                throw e;
            }
        } finally {
            replies.unregister(id);
        }
    }

    private int answerWithJson(final Context ctx, final String id, final Waiting waiting)
            throws InterruptedException {
        try {
            while (true) {
                switch (waiting.next(waiting.remaining())) {
                    case null -> {
                        return timedOut(ctx, id, waiting.timeout());
                    }
                    case Reply.Chunk ignored -> {
                        // a worker that streams a non-streaming request: only its end answers the client
                    }
                    case Reply.Complete complete when complete.data() != null && !complete.data().isNull() -> {
                        JsonResponse.send(ctx, 200, complete.data());
                        return 200;
                    }
                    case Reply.Complete empty -> {
                        final ApiError error = ApiError.upstream(502, "The model returned an empty completion.");
                        JsonResponse.error(ctx, error);
                        return error.status();
                    }
                    case Reply.Failed failed -> {
                        JsonResponse.send(ctx, failed.status(), failed.body());
                        return failed.status();
                    }
                }
            }
        } catch (final ClientGoneException e) {
            return clientGone(id, "while waiting for the completion");
        }
    }

    /**
     * Until the first reply nothing is committed, so an early error is a plain JSON error with its status (the SDKs
     * raise a typed exception for it). But a client waiting for its first token (queue + prefill can take minutes)
     * must see bytes before a proxy's idle timeout cuts it: after one keep-alive interval without a reply the 200
     * stream opens and carries {@code : keep-alive} comments until the first chunk. From then on an error can only
     * be an error event before {@code [DONE]}.
     */
    private int answerWithStream(final Context ctx, final String id, final Waiting waiting)
            throws InterruptedException {
        try {
            Reply reply = waiting.next(min(waiting.remaining(), config.sseKeepAlive()));
            if (reply == null && waiting.remaining().isZero()) {
                return timedOut(ctx, id, waiting.timeout());
            }
            if (reply instanceof Reply.Failed failed) {
                JsonResponse.send(ctx, failed.status(), failed.body());
                return failed.status();
            }
            final SseStream stream = SseStream.open(ctx.res());
            while (true) {
                switch (reply) {
                    case null -> {
                        if (waiting.remaining().isZero()) {
                            cancel(id, CancelReason.DEADLINE);
                            stream.data(Reply.NO_SEQ, timeoutError(waiting.timeout()).toJson());
                            stream.done(Reply.NO_SEQ);
                            return 200;
                        }
                        stream.keepAlive();
                    }
                    case Reply.Chunk chunk -> {
                        if (chunk.data() != null && !chunk.data().isNull()) {
                            stream.data(chunk.seq(), chunk.data());
                        }
                    }
                    case Reply.Complete complete -> {
                        stream.done(complete.seq());
                        return 200;
                    }
                    case Reply.Failed failed -> {
                        stream.data(failed.seq(), failed.body());
                        stream.done(Reply.NO_SEQ);
                        return 200;
                    }
                }
                reply = waiting.next(min(waiting.remaining(), config.sseKeepAlive()));
            }
        } catch (final IOException e) {
            return clientGone(id, "mid-stream (" + e.getMessage() + ")");
        }
    }

    private int clientGone(final String id, final String when) {
        LOG.debug("client of {} went away {}", id, when);
        cancel(id, CancelReason.CLIENT_DISCONNECTED);
        return CLIENT_CLOSED;
    }

    private int timedOut(final Context ctx, final String id, final Duration timeout) {
        cancel(id, CancelReason.DEADLINE);
        final ApiError error = timeoutError(timeout);
        JsonResponse.error(ctx, error);
        return error.status();
    }

    private static ApiError timeoutError(final Duration timeout) {
        return ApiError.timeout("The request did not complete within " + timeout.toMillis()
                + " ms; it has been cancelled.");
    }

    private void cancel(final String id, final CancelReason reason) {
        LOG.info("request {} cancelled: {}", id, reason);
        metrics.recordCancel(reason);
        publisher.cancel(new CancelCommand(id, reason, clock.millis()));
    }

    private static Served refuse(final Context ctx, final String model, final ApiError error) {
        JsonResponse.error(ctx, error);
        return new Served(model, error.status());
    }

    private static Duration min(final Duration a, final Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** One handler's wait for its replies: the deadline, and the client it keeps an eye on meanwhile. */
    private static final class Waiting {

        private final PendingReply pending;
        private final ClientConnection client;
        private final long deadlineNanos;
        private final Duration timeout;

        Waiting(final PendingReply pending, final ClientConnection client, final long deadlineNanos,
                final Duration timeout) {
            this.pending = pending;
            this.client = client;
            this.deadlineNanos = deadlineNanos;
            this.timeout = timeout;
        }

        /** The request's whole timeout, for the 504's message. */
        Duration timeout() {
            return timeout;
        }

        Duration remaining() {
            return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
        }

        /**
         * The next reply within {@code wait}, or null; checks the client every {@link ClientConnection#CHECK_INTERVAL}
         * meanwhile and throws when it has gone.
         */
        Reply next(final Duration wait) throws InterruptedException, ClientGoneException {
            final long until = System.nanoTime() + wait.toNanos();
            while (true) {
                final long left = until - System.nanoTime();
                final Reply reply = pending.next(Duration.ofNanos(
                        Math.max(0, Math.min(left, ClientConnection.CHECK_INTERVAL.toNanos()))));
                if (reply != null) {
                    return reply;
                }
                if (client.isGone()) {
                    throw new ClientGoneException();
                }
                if (until - System.nanoTime() <= 0) {
                    return null;
                }
            }
        }
    }
}
