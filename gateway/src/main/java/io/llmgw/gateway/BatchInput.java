package io.llmgw.gateway;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.batches.BatchError;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A batch's input file read into lines, the way OpenAI validates it. A file whose shape is wrong (a line that is not
 * a JSON object, no {@code custom_id}, a repeated one, a method other than POST, a {@code url} other than the batch's
 * endpoint, no {@code body} object, no lines at all) fails the whole batch with {@code errors.data}, each naming its
 * line. A line whose body the gateway refuses (a bad body, an unknown model: {@link RequestValidator}) is kept with
 * its error: it goes to the error file and the other lines run. The result depends only on the content and the
 * models, so a driver that takes a batch over reads the same lines again. Pure; no I/O.
 */
final class BatchInput {

    /** Problems listed in a failed batch's {@code errors.data} at most; the count of the rest is in the last one. */
    static final int MAX_ERRORS = 100;

    /**
     * One line of the file.
     *
     * @param index      0-based among the lines (blank lines do not count): its request id derives from it
     * @param lineNumber 1-based line of the file
     * @param error      why it will not run, or null
     */
    record Line(int index, int lineNumber, String customId, ObjectNode body, ApiError error) {
    }

    sealed interface Outcome {
        record Valid(List<Line> lines) implements Outcome {
        }

        record Invalid(List<BatchError> errors) implements Outcome {
        }
    }

    private BatchInput() {
    }

    static Outcome parse(final byte[] content, final Endpoint endpoint, final RequestValidator validator) {
        return parse(content, endpoint, validator, model -> true);
    }

    /** As {@link #parse(byte[], Endpoint, RequestValidator)}; a model {@code allowed} refuses is a 404 line. */
    static Outcome parse(final byte[] content, final Endpoint endpoint, final RequestValidator validator,
                         final java.util.function.Predicate<String> allowed) {
        final String url = "/v1/" + endpoint.path();
        final List<Line> lines = new ArrayList<>();
        final List<BatchError> errors = new ArrayList<>();
        final Set<String> customIds = new HashSet<>();
        int problems = 0;
        int lineNumber = 0;
        int start = 0;
        while (start < content.length) {
            int end = start;
            while (end < content.length && content[end] != '\n') {
                end++;
            }
            lineNumber++;
            final String text = new String(content, start, end - start, StandardCharsets.UTF_8).strip();
            start = end + 1;
            if (text.isEmpty()) {
                continue;
            }
            final Object parsed = line(text, lineNumber, url, endpoint, validator, allowed, lines.size(), customIds);
            if (parsed instanceof BatchError error) {
                problems++;
                if (errors.size() < MAX_ERRORS) {
                    errors.add(error);
                }
            } else {
                lines.add((Line) parsed);
            }
        }
        if (problems > errors.size()) {
            errors.add(new BatchError("too_many_errors", (problems - errors.size()) + " more lines have errors.",
                    null, null));
        }
        if (problems == 0 && lines.isEmpty()) {
            errors.add(new BatchError("empty_file", "The input file has no lines.", "input_file_id", null));
        }
        return errors.isEmpty() ? new Outcome.Valid(List.copyOf(lines)) : new Outcome.Invalid(List.copyOf(errors));
    }

    /** A {@link Line}, or the {@link BatchError} that fails the batch. */
    private static Object line(final String text, final int lineNumber, final String url, final Endpoint endpoint,
                               final RequestValidator validator, final java.util.function.Predicate<String> allowed,
                               final int index, final Set<String> customIds) {
        final JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(text);
        } catch (final JacksonException e) {
            return new BatchError("invalid_json_line", "This line is not valid JSON: " + e.getOriginalMessage(),
                    null, lineNumber);
        }
        if (!(tree instanceof ObjectNode object)) {
            return new BatchError("invalid_json_line", "Each line must be a JSON object.", null, lineNumber);
        }
        final JsonNode customId = object.get("custom_id");
        if (customId == null || !customId.isTextual() || customId.asText().isEmpty()) {
            return new BatchError("missing_required_parameter", "Each line needs a custom_id string.", "custom_id",
                    lineNumber);
        }
        if (!customIds.add(customId.asText())) {
            return new BatchError("duplicate_custom_id", "The custom_id '" + customId.asText()
                    + "' is used by an earlier line; each must be unique.", "custom_id", lineNumber);
        }
        final String method = object.path("method").asText("");
        if (!"POST".equals(method)) {
            return new BatchError("invalid_method", "The method must be POST, not '" + method + "'.", "method",
                    lineNumber);
        }
        final String lineUrl = object.path("url").asText("");
        if (!url.equals(lineUrl)) {
            return new BatchError("mismatched_endpoint", "The url '" + lineUrl + "' does not match the batch's"
                    + " endpoint " + url + ".", "url", lineNumber);
        }
        if (!(object.get("body") instanceof ObjectNode body)) {
            return new BatchError("missing_required_parameter", "Each line needs a body object.", "body", lineNumber);
        }
        return new Line(index, lineNumber, customId.asText(), body, bodyError(endpoint, body, validator, allowed));
    }

    private static ApiError bodyError(final Endpoint endpoint, final ObjectNode body,
                                      final RequestValidator validator,
                                      final java.util.function.Predicate<String> allowed) {
        if (body.path("stream").asBoolean(false) || body.path("background").asBoolean(false)) {
            return ApiError.badRequest("A batch line cannot stream or run in the background.",
                    body.path("stream").asBoolean(false) ? "stream" : "background");
        }
        final byte[] bytes = JsonResponse.bytes(body);
        return switch (validator.validate(endpoint, bytes)) {
            case RequestValidator.Outcome.Rejected rejected -> rejected.error();
            // a model the batch's key may not call does not exist for it, as for a direct request
            case RequestValidator.Outcome.Accepted accepted when !allowed.test(accepted.model()) ->
                    ApiError.modelNotFound(accepted.model());
            case RequestValidator.Outcome.Accepted accepted -> null;
        };
    }
}
