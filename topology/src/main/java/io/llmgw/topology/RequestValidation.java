package io.llmgw.topology;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CompletionBody;
import io.llmgw.schemas.RequestEnvelope;

import java.util.Optional;

/**
 * What the router checks before a request may reach a model topic, over a complete envelope (see
 * {@link RequestEnvelope#missingPart()}): the body passes the gateway's own {@link CompletionBody} checks (an envelope
 * may come from any producer, not only our gateway), and its {@code model} is the one the envelope is routed by.
 */
public final class RequestValidation {

    private RequestValidation() {
    }

    /** The client error in a complete envelope, if any; the router answers it with a 400 event. */
    public static Optional<ApiError> invalidRequest(final RequestEnvelope envelope) {
        return CompletionBody.problem(envelope.endpoint(), envelope.body()).or(() -> modelMismatch(envelope));
    }

    private static Optional<ApiError> modelMismatch(final RequestEnvelope envelope) {
        final String bodyModel = envelope.body().get("model").asText();
        return bodyModel.equals(envelope.model())
                ? Optional.empty()
                : Optional.of(ApiError.badRequest("The body's model `" + bodyModel
                        + "` does not match the request's model `" + envelope.model() + "`.", "model"));
    }
}
