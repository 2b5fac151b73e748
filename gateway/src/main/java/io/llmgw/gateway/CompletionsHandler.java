package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
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

/**
 * {@code POST /v1/chat/completions}, {@code /v1/completions}, {@code /v1/embeddings} and {@code /v1/responses}: admits
 * the request ({@link RequestAdmission}), publishes it, then answers with the reply as JSON or as an event stream in
 * the endpoint's form ({@link ReplyWriter.Format}), or at once for a detached request (202 for
 * {@code Prefer: respond-async}, a {@code queued} response object for a background response).
 *
 * <p>The handler runs on a virtual thread and blocks on the request's reply queue until its deadline: the smallest of
 * {@code GATEWAY_REQUEST_TIMEOUT} and the client's timeout headers ({@link RequestTimeouts}). While it waits it checks
 * that the client is still connected ({@link ClientConnection}); a client that went away (unless the request is
 * detached), a deadline that passed and a failure after publishing each publish a cancel, so that no worker spends
 * GPU time on an answer nobody reads.
 */
final class CompletionsHandler {

    /** Status recorded when the client went away mid-answer (nginx's convention; never sent). */
    static final int CLIENT_CLOSED = 499;

    static final String PREFER = RequestAdmission.PREFER;
    static final String RESPOND_ASYNC = RequestAdmission.RESPOND_ASYNC;

    private static final Logger LOG = LoggerFactory.getLogger(CompletionsHandler.class);

    /**
     * How a request ended, for the metrics: the model (when it was a known one), the status sent, and the key's
     * id when it got past the key check (null before).
     */
    private record Served(String model, int status, String keyId) {
        Served(final String model, final int status) {
            this(model, status, null);
        }
    }

    private final GatewayConfig config;
    private final RequestAdmission admission;
    private final LimitGate limits;
    private final RequestPublisher publisher;
    private final PendingReplies replies;
    private final RequestIdMint ids;
    private final GatewayMetrics metrics;
    private final KeyNames keyNames;
    private final Clock clock;

    CompletionsHandler(final GatewayConfig config, final RequestAdmission admission, final LimitGate limits,
                       final RequestPublisher publisher, final PendingReplies replies, final RequestIdMint ids,
                       final GatewayMetrics metrics, final KeyNames keyNames, final Clock clock) {
        this.config = config;
        this.admission = admission;
        this.limits = limits;
        this.keyNames = keyNames;
        this.publisher = publisher;
        this.replies = replies;
        this.ids = ids;
        this.metrics = metrics;
        this.clock = clock;
    }

    void handle(final Context ctx, final Endpoint endpoint) throws InterruptedException {
        final long startedNanos = System.nanoTime();
        final Served served = serve(ctx, endpoint, GatewayHttp.requestId(ctx), startedNanos);
        metrics.recordRequest(served.model(), endpoint, served.status(),
                Duration.ofNanos(System.nanoTime() - startedNanos));
        metrics.recordKeyRequest(keyNames.of(served.keyId()), served.status());
    }

    private static ReplyWriter.Format formatOf(final Endpoint endpoint) {
        return endpoint == Endpoint.RESPONSES ? ResponsesEvents.FORMAT : CompletionChunks.FORMAT;
    }

    private Served serve(final Context ctx, final Endpoint endpoint, final String id, final long startedNanos)
            throws InterruptedException {
        return switch (admission.admit(ctx, endpoint)) {
            case Admission.Refused refused -> refuse(ctx, refused.model(), refused.error());
            case Admission.Admitted admitted -> {
                final Served served = limitedThenServed(ctx, id, admitted, startedNanos);
                yield new Served(served.model(), served.status(), admitted.keyId());
            }
        };
    }

    /**
     * A limited key's request reserves its place first (and its response carries the rate-limit headers from then
     * on); a place that was held for a request that never reached Kafka is given back.
     */
    private Served limitedThenServed(final Context ctx, final String id, final Admission.Admitted admitted,
                                     final long startedNanos) throws InterruptedException {
        final long receivedAtMs = clock.millis();
        final LimitGate.Outcome limit = limits.check(ctx, id, admitted, receivedAtMs + admitted.timeout().toMillis());
        if (limit instanceof LimitGate.Outcome.Refused refused) {
            return refuse(ctx, admitted.request().model(), refused.error());
        }
        final Published published = new Published();
        try {
            // an async submit answers at once, streaming or not; a background response streams if it was asked to
            if (admitted.async() && !(admitted.clientStreams()
                    && admitted.request().endpoint() == Endpoint.RESPONSES)) {
                return publishDetached(ctx, id, admitted, published);
            }
            final Served served = publishAndAnswer(ctx, id, admitted, startedNanos, published);
            // a JSON answer leaves when the handler returns, after this; a detached one runs on and its usage frees it
            if (published.maybe && !admitted.async()) {
                limits.finished(limit);
            }
            return served;
        } finally {
            if (!published.maybe) {
                limits.giveBack(limit);
            }
        }
    }

    /** Whether the request may have reached Kafka: then its usage record, not a release, frees its place. */
    private static final class Published {
        private boolean maybe;
    }

    private RequestEnvelope envelope(final String id, final Admission.Admitted admitted) {
        final long nowMs = clock.millis();
        return admitted.request().envelope(id, new RequestValidator.RequestStamp(nowMs,
                nowMs + admitted.timeout().toMillis(), ids.partitionOf(id), config.gatewayId(), admitted.keyId()),
                admitted.async()).withScheduling(admitted.scheduling().priority(), admitted.scheduling().fairnessKey());
    }

    /**
     * An async submit or a background response: published as detached (a disconnect never cancels it; the worker
     * still ends it at its deadline), answered at once with where to find it. Nobody waits here for its reply.
     */
    private Served publishDetached(final Context ctx, final String id, final Admission.Admitted admitted,
                                   final Published published) {
        final String model = admitted.request().model();
        final RequestEnvelope envelope = envelope(id, admitted);
        try {
            published.maybe = true;
            publisher.publish(envelope);
        } catch (final PublishException e) {
            LOG.warn("async request {} for {} not published: {}", id, model, e.getMessage());
            published.maybe = e.outcomeUnknown();
            if (e.outcomeUnknown()) {
                cancel(id, CancelReason.PUBLISH_FAILED);
            }
            return refuse(ctx, model, e.error());
        }
        metrics.recordAsyncSubmit(model, admitted.request().endpoint());
        if (admitted.request().endpoint() == Endpoint.RESPONSES) {
            ctx.header("Location", ResponsesHandler.PATH_PREFIX + ResponseIds.of(id));
            JsonResponse.send(ctx, 200, ResponseView.queued(id, model, envelope.receivedAtMs()));
            return new Served(model, 200);
        }
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
                                    final long startedNanos, final Published published) throws InterruptedException {
        final RequestValidator.Outcome.Accepted request = admitted.request();
        final RequestEnvelope envelope = envelope(id, admitted);
        final long deadlineNanos = startedNanos + admitted.timeout().toNanos();
        // registered before publishing: a reply may come back before publish() even returns
        final PendingReply pending = replies.register(id);
        try {
            try {
                published.maybe = true;
                publisher.publish(envelope);
            } catch (final PublishException e) {
                LOG.warn("request {} for {} not published: {}", id, request.model(), e.getMessage());
                published.maybe = e.outcomeUnknown();
                if (e.outcomeUnknown()) {
                    cancel(id, CancelReason.PUBLISH_FAILED);
                }
                return refuse(ctx, request.model(), e.error());
            }
            final ReplyWaiting waiting = new ReplyWaiting(pending, ClientConnection.of(ctx), deadlineNanos,
                    admitted.timeout());
            final ReplyWriter.Format format = formatOf(request.endpoint());
            try {
                final int status = admitted.clientStreams()
                        ? answerWithStream(ctx, id, waiting, format, admitted.async())
                        : answerWithJson(ctx, id, waiting, format);
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

    private int answerWithJson(final Context ctx, final String id, final ReplyWaiting waiting,
                               final ReplyWriter.Format format) throws InterruptedException {
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
                        JsonResponse.send(ctx, 200, format.completion(id, complete.data()));
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
        } catch (final ReplyWaiting.ClientGoneException e) {
            return clientGone(id, "while waiting for the completion");
        }
    }

    /**
     * Until the first reply nothing is committed, so an early error is a plain JSON error with its status (the SDKs
     * raise a typed exception for it). But a client waiting for its first token (queue + prefill can take minutes)
     * must see bytes before a proxy's idle timeout cuts it: after one keep-alive interval without a reply the 200
     * stream opens and carries {@code : keep-alive} comments until the first chunk. From then on an error can only
     * be an error event. A detached request (a background response streamed to its client) goes on when the client
     * leaves.
     */
    private int answerWithStream(final Context ctx, final String id, final ReplyWaiting waiting,
                                 final ReplyWriter.Format format, final boolean detached)
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
            final ReplyWriter writer = format.open(SseStream.open(ctx.res()), id);
            while (true) {
                switch (reply) {
                    case null -> {
                        if (waiting.remaining().isZero()) {
                            cancel(id, CancelReason.DEADLINE);
                            writer.fail(Reply.NO_SEQ, timeoutError(waiting.timeout()).toJson());
                            return 200;
                        }
                        writer.keepAlive();
                    }
                    case Reply.Chunk chunk -> {
                        if (chunk.data() != null && !chunk.data().isNull()) {
                            writer.chunk(chunk.seq(), chunk.data());
                        }
                    }
                    case Reply.Complete complete -> {
                        writer.end(complete.seq());
                        return 200;
                    }
                    case Reply.Failed failed -> {
                        writer.fail(failed.seq(), failed.body());
                        return 200;
                    }
                }
                reply = waiting.next(min(waiting.remaining(), config.sseKeepAlive()));
            }
        } catch (final IOException e) {
            if (detached) {
                LOG.debug("client of detached {} went away mid-stream; it runs on", id);
                return CLIENT_CLOSED;
            }
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
}
