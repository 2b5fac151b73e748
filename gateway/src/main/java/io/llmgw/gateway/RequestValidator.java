package io.llmgw.gateway;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CompletionBody;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;

import java.io.IOException;
import java.util.Optional;

/**
 * Reads and checks a client's body for a completions endpoint, the way the OpenAI API answers bad input: a 400 naming
 * the field ({@code param}), or a 404 for a model nobody serves. The body itself is kept unchanged for the LLM host;
 * only the fields the gateway routes on are checked, by {@link CompletionBody} (the same checks the router makes);
 * parsing and the model list are the gateway's own.
 */
public final class RequestValidator {

    /** What validation decided. */
    public sealed interface Outcome {

        record Rejected(ApiError error) implements Outcome {
        }

        /** A body that may be sent on; {@code body} is the client's JSON, untouched. */
        record Accepted(Endpoint endpoint, String model, boolean stream, ObjectNode body) implements Outcome {

            /** The envelope for this request, as the gateway publishes it (first attempt, someone waiting). */
            public RequestEnvelope envelope(final String id, final RequestStamp stamp) {
                return envelope(id, stamp, false);
            }

            /** The envelope for this request; {@code detached} for an async submit that nobody waits on. */
            public RequestEnvelope envelope(final String id, final RequestStamp stamp, final boolean detached) {
                return new RequestEnvelope(id, endpoint, model, stream, body, stamp.receivedAtMs(),
                        stamp.deadlineMs(), stamp.replyPartition(), stamp.gatewayId(), stamp.keyId(), 1, detached);
            }
        }
    }

    /** Where and when a request was accepted: the envelope fields that do not come from the body. */
    public record RequestStamp(long receivedAtMs, long deadlineMs, int replyPartition, String gatewayId,
                               String keyId) {
    }

    // a body such as `{"model": "x"} trailing` is not one JSON value: refuse it rather than drop the rest
    private static final ObjectReader READER = Json.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final ModelCatalog models;

    public RequestValidator(final ModelCatalog models) {
        this.models = models;
    }

    public Outcome validate(final Endpoint endpoint, final byte[] body) {
        final JsonNode tree;
        try {
            tree = body.length == 0 ? null : READER.readTree(body);
        } catch (final JacksonException e) {
            return rejected("We could not parse the JSON body of your request. The OpenAI API expects a JSON"
                    + " payload: " + e.getOriginalMessage(), null);
        } catch (final IOException e) {
            return rejected("We could not read the body of your request: " + e.getMessage(), null);
        }
        if (tree == null || tree.isMissingNode()) {
            return rejected("The request body is empty; a JSON object is expected.", null);
        }
        if (!(tree instanceof ObjectNode object)) {
            return rejected("The request body must be a JSON object, not " + CompletionBody.kind(tree) + ".", null);
        }
        final Optional<ApiError> problem = CompletionBody.problem(endpoint, object);
        if (problem.isPresent()) {
            return new Outcome.Rejected(problem.get());
        }
        final String model = object.get("model").asText();
        if (models.find(model).isEmpty()) {
            // while the registry is still being read, "no such model" may be false: answer with a retryable error
            return new Outcome.Rejected(models.isLoaded()
                    ? ApiError.modelNotFound(model)
                    : ApiError.unavailable("The gateway is still loading its model list; try again shortly."));
        }
        return new Outcome.Accepted(endpoint, model, object.path("stream").asBoolean(false), object);
    }

    private static Outcome rejected(final String message, final String param) {
        return new Outcome.Rejected(ApiError.badRequest(message, param));
    }
}
