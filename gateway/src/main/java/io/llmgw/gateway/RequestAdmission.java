package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The one place that decides whether a request may be published, for every endpoint: key, scheduling and timeout
 * headers, body size, body, model, then the gateway's own state, in the order the client hears about them.
 *
 * <p>A Responses request with {@code background: true} is admitted as detached, and its body is changed for the host
 * (the gateway, not the host, runs it in the background): {@code background} is removed and {@code stream} set to
 * true, so that its events can be resumed and its call cancelled mid-way; a {@code previous_response_id} of ours
 * becomes the host's ({@link PreviousResponses}). Stateless apart from its collaborators;
 * called from many handler threads at once.
 */
final class RequestAdmission {

    static final String PREFER = "Prefer";
    static final String RESPOND_ASYNC = "respond-async";

    private final GatewayConfig config;
    private final BearerAuth auth;
    private final BodyLimit bodyLimit;
    private final RequestValidator validator;
    private final BooleanSupplier accepting;
    private final PreviousResponses previous;

    RequestAdmission(final GatewayConfig config, final BearerAuth auth, final ModelCatalog models,
                     final BooleanSupplier accepting, final PreviousResponses previous) {
        this.config = config;
        this.auth = auth;
        this.bodyLimit = new BodyLimit(config.maxBodyBytes());
        this.validator = new RequestValidator(models);
        this.accepting = accepting;
        this.previous = previous;
    }

    Admission admit(final Context ctx, final Endpoint endpoint) {
        final BearerAuth.Outcome.Allowed key;
        switch (auth.check(ctx.header(Header.AUTHORIZATION))) {
            case BearerAuth.Outcome.Denied denied -> {
                return new Admission.Refused(null, denied.error());
            }
            case BearerAuth.Outcome.Allowed allowed -> key = allowed;
        }
        final String keyId = key.keyId();
        final SchedulingHeaders.Outcome.Scheduling scheduling;
        switch (SchedulingHeaders.resolve(ctx.header(SchedulingHeaders.PRIORITY_HEADER),
                ctx.header(SchedulingHeaders.FAIRNESS_KEY_HEADER), key)) {
            case SchedulingHeaders.Outcome.Invalid invalid -> {
                return new Admission.Refused(null, invalid.error());
            }
            case SchedulingHeaders.Outcome.Scheduling resolved -> scheduling = resolved;
        }
        final Duration timeout;
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
            case RequestValidator.Outcome.Accepted accepted when endpoint == Endpoint.RESPONSES ->
                    admitResponse(withHostsPrevious(accepted, keyId, ctx.header(Header.AUTHORIZATION)), key,
                            timeout, scheduling);
            case RequestValidator.Outcome.Accepted accepted -> new Admission.Admitted(accepted, keyId, timeout,
                    prefersAsync(ctx.header(PREFER)), scheduling, accepted.stream(), key.key());
        };
    }

    /** A Responses request runs detached when it asks for {@code background}; {@code Prefer} does not apply. */
    private static Admission admitResponse(final RequestValidator.Outcome.Accepted accepted,
                                           final BearerAuth.Outcome.Allowed key, final Duration timeout,
                                           final SchedulingHeaders.Outcome.Scheduling scheduling) {
        return isBackground(accepted)
                ? new Admission.Admitted(inBackground(accepted), key.keyId(), timeout, true, scheduling,
                        accepted.stream(), key.key())
                : new Admission.Admitted(accepted, key.keyId(), timeout, false, scheduling, accepted.stream(),
                        key.key());
    }

    private RequestValidator.Outcome.Accepted withHostsPrevious(final RequestValidator.Outcome.Accepted accepted,
                                                                final String keyId, final String authorization) {
        final ObjectNode body = previous.resolve(accepted.body(), keyId, authorization);
        return body == accepted.body() ? accepted
                : new RequestValidator.Outcome.Accepted(accepted.endpoint(), accepted.model(), accepted.stream(), body);
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

    static boolean isBackground(final RequestValidator.Outcome.Accepted accepted) {
        return accepted.endpoint() == Endpoint.RESPONSES && accepted.body().path("background").asBoolean(false);
    }

    /**
     * The request a background response becomes: streamed from the host (events to resume from, a call to cancel),
     * without {@code background} (the host must answer now; the gateway is what lets the client come back).
     */
    static RequestValidator.Outcome.Accepted inBackground(final RequestValidator.Outcome.Accepted accepted) {
        final ObjectNode body = accepted.body().deepCopy();
        body.remove("background");
        body.put("stream", true);
        return new RequestValidator.Outcome.Accepted(accepted.endpoint(), accepted.model(), true, body);
    }
}
