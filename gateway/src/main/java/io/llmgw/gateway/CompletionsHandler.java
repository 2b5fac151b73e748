package io.llmgw.gateway;

import io.javalin.http.Context;
import io.javalin.http.Header;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.RequestEnvelope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: checks the caller and the body, publishes the
 * request, then answers with the reply as JSON or as a server-sent event stream.
 *
 * <p>The handler runs on a virtual thread and blocks on the request's reply queue until its deadline.
 */
final class CompletionsHandler {

    /** Reason codes on the control topic. */
    static final String CANCEL_DEADLINE = "deadline";
    static final String CANCEL_DISCONNECTED = "client_disconnected";
    static final String CANCEL_PUBLISH_FAILED = "publish_failed";
    static final String CANCEL_GATEWAY_ERROR = "gateway_error";

    /** Status recorded when the client went away mid-answer (nginx's convention; never sent). */
    static final int CLIENT_CLOSED = 499;

    private static final Logger LOG = LoggerFactory.getLogger(CompletionsHandler.class);

    /** How a request ended, for the metrics: the model (when it was a known one) and the status sent. */
    private record Served(String model, int status) {
    }

    /** Whether a request passed the checks that come before publishing. */
    private sealed interface Admission {

        record Refused(String model, ApiError error) implements Admission {
        }

        record Admitted(RequestValidator.Outcome.Accepted request, String keyId) implements Admission {
        }
    }

    private final GatewayConfig config;
    private final BearerAuth auth;
    private final BodyLimit bodyLimit;
    private final RequestValidator validator;
    private final RequestPublisher publisher;
    private final PendingReplies replies;
    private final ReplyPartitions replyPartitions;
    private final BooleanSupplier accepting;
    private final GatewayMetrics metrics;
    private final Clock clock;

    CompletionsHandler(final GatewayConfig config, final ModelCatalog models, final RequestPublisher publisher,
                       final PendingReplies replies, final ReplyPartitions replyPartitions,
                       final BooleanSupplier accepting, final GatewayMetrics metrics, final Clock clock) {
        this.config = config;
        this.auth = new BearerAuth(config.apiKeys());
        this.bodyLimit = new BodyLimit(config.maxBodyBytes());
        this.validator = new RequestValidator(models);
        this.publisher = publisher;
        this.replies = replies;
        this.replyPartitions = replyPartitions;
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
            case Admission.Admitted admitted -> publishAndAnswer(ctx, id, admitted, startedNanos);
        };
    }

    /** The checks in the order the client hears about them: key, body size, body, model, then our own state. */
    private Admission admit(final Context ctx, final Endpoint endpoint) {
        final String keyId;
        switch (auth.check(ctx.header(Header.AUTHORIZATION))) {
            case BearerAuth.Outcome.Denied denied -> {
                return new Admission.Refused(null, denied.error());
            }
            case BearerAuth.Outcome.Allowed allowed -> keyId = allowed.keyId();
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
            case RequestValidator.Outcome.Accepted accepted when !accepting.getAsBoolean() ->
                    new Admission.Refused(accepted.model(),
                            ApiError.unavailable("The gateway is not ready to accept requests; try again shortly."));
            case RequestValidator.Outcome.Accepted accepted -> new Admission.Admitted(accepted, keyId);
        };
    }

    private Served publishAndAnswer(final Context ctx, final String id, final Admission.Admitted admitted,
                                    final long startedNanos) throws InterruptedException {
        final RequestValidator.Outcome.Accepted request = admitted.request();
        final long nowMs = clock.millis();
        final RequestEnvelope envelope = request.envelope(id, new RequestValidator.RequestStamp(nowMs,
                nowMs + config.requestTimeout().toMillis(), replyPartitions.forRequest(id), config.gatewayId(),
                admitted.keyId()));
        final long deadlineNanos = startedNanos + config.requestTimeout().toNanos();
        // registered before publishing: a reply may come back before publish() even returns
        final PendingReply pending = replies.register(id);
        try {
            try {
                publisher.publish(envelope);
            } catch (final PublishException e) {
                LOG.warn("request {} for {} not published: {}", id, request.model(), e.getMessage());
                if (e.outcomeUnknown()) {
                    cancel(id, CANCEL_PUBLISH_FAILED);
                }
                return refuse(ctx, request.model(), e.error());
            }
            try {
                final int status = request.stream()
                        ? answerWithStream(ctx, id, pending, deadlineNanos)
                        : answerWithJson(ctx, id, pending, deadlineNanos);
                return new Served(request.model(), status);
            } catch (final RuntimeException | InterruptedException e) {
                // nobody will read this request's reply any more: stop the work (the error handler answers)
                cancel(id, CANCEL_GATEWAY_ERROR);
                throw e;
            }
        } finally {
            replies.unregister(id);
        }
    }

    private int answerWithJson(final Context ctx, final String id, final PendingReply pending,
                               final long deadlineNanos) throws InterruptedException {
        while (true) {
            switch (pending.next(remaining(deadlineNanos))) {
                case null -> {
                    return timedOut(ctx, id);
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
    }

    /**
     * Until the first reply nothing is committed, so an early error is a plain JSON error with its status (the SDKs
     * raise a typed exception for it). From the first chunk on the answer is a 200 stream, and an error can only be
     * an error event before {@code [DONE]}.
     */
    private int answerWithStream(final Context ctx, final String id, final PendingReply pending,
                                 final long deadlineNanos) throws InterruptedException {
        Reply reply = pending.next(remaining(deadlineNanos));
        if (reply == null) {
            return timedOut(ctx, id);
        }
        if (reply instanceof Reply.Failed failed) {
            JsonResponse.send(ctx, failed.status(), failed.body());
            return failed.status();
        }
        try {
            final SseStream stream = SseStream.open(ctx.res());
            while (true) {
                switch (reply) {
                    case null -> {
                        if (remaining(deadlineNanos).isZero()) {
                            cancel(id, CANCEL_DEADLINE);
                            stream.data(timeoutError().toJson());
                            stream.done();
                            return 200;
                        }
                        stream.keepAlive();
                    }
                    case Reply.Chunk chunk -> {
                        if (chunk.data() != null && !chunk.data().isNull()) {
                            stream.data(chunk.data());
                        }
                    }
                    case Reply.Complete ignored -> {
                        stream.done();
                        return 200;
                    }
                    case Reply.Failed failed -> {
                        stream.data(failed.body());
                        stream.done();
                        return 200;
                    }
                }
                reply = pending.next(min(remaining(deadlineNanos), config.sseKeepAlive()));
            }
        } catch (final IOException e) {
            LOG.debug("client of {} went away mid-stream: {}", id, e.toString());
            cancel(id, CANCEL_DISCONNECTED);
            return CLIENT_CLOSED;
        }
    }

    private int timedOut(final Context ctx, final String id) {
        cancel(id, CANCEL_DEADLINE);
        final ApiError error = timeoutError();
        JsonResponse.error(ctx, error);
        return error.status();
    }

    private ApiError timeoutError() {
        return ApiError.timeout("The request did not complete within " + config.requestTimeout().toMillis()
                + " ms; it has been cancelled.");
    }

    private void cancel(final String id, final String reason) {
        publisher.cancel(new CancelCommand(id, reason, clock.millis()));
    }

    private static Served refuse(final Context ctx, final String model, final ApiError error) {
        JsonResponse.error(ctx, error);
        return new Served(model, error.status());
    }

    private static Duration remaining(final long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    private static Duration min(final Duration a, final Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
