package io.llmgw.gateway;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.llmgw.batches.BatchCancel;
import io.llmgw.batches.BatchRecord;
import io.llmgw.batches.StoredFile;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code /v1/batches}: create, retrieve, list and cancel. Creating writes the batch's first record ({@code validating})
 * and answers; the instance that owns the batch's partition drives it from there ({@link BatchDriver}). A batch is
 * visible only with the key that created it when keys are enforced. Stateless; called from many handler threads.
 */
final class BatchesHandler {

    static final String PATH = "/v1/batches";
    static final String COMPLETION_WINDOW = "24h";

    private static final Logger LOG = LoggerFactory.getLogger(BatchesHandler.class);
    private static final int MAX_METADATA = 16;

    private final BatchDirectory directory;
    private final FileStore files;
    private final BearerAuth auth;
    private final Clock clock;
    /** The real window behind the API's {@code "24h"} ({@code GATEWAY_BATCH_COMPLETION_WINDOW}). */
    private final Duration window;

    BatchesHandler(final BatchDirectory directory, final FileStore files, final BearerAuth auth, final Clock clock,
                   final Duration window) {
        this.directory = directory;
        this.files = files;
        this.auth = auth;
        this.clock = clock;
        this.window = window;
    }

    void create(final Context ctx) throws IOException {
        final Optional<String> keyId = caller(ctx);
        if (keyId == null) {
            return;
        }
        if (!directory.isLoaded() || !files.isLoaded()) {
            JsonResponse.error(ctx, ApiError.unavailable("The gateway is still loading its batches; try again"
                    + " shortly."));
            return;
        }
        final JsonNode body;
        try {
            body = Json.MAPPER.readTree(ctx.bodyAsBytes());
        } catch (final JacksonException e) {
            JsonResponse.error(ctx, ApiError.badRequest("We could not parse the JSON body of your request: "
                    + e.getOriginalMessage(), null));
            return;
        }
        if (!(body instanceof ObjectNode request)) {
            JsonResponse.error(ctx, ApiError.badRequest("The request body must be a JSON object.", null));
            return;
        }
        final ApiError problem = problem(request, keyId.orElse(null));
        if (problem != null) {
            JsonResponse.error(ctx, problem);
            return;
        }
        final long now = clock.millis() / 1000;
        final JsonNode metadata = request.get("metadata");
        final BatchRecord record = BatchRecord.accepted(BatchLines.newBatchId(), request.get("endpoint").asText(),
                request.get("input_file_id").asText(), COMPLETION_WINDOW,
                metadata instanceof ObjectNode object ? object : null, keyId.orElse(null), now,
                now + window.toSeconds());
        try {
            directory.write(record);
        } catch (final IOException e) {
            LOG.warn("batch not created: {}", e.getMessage());
            JsonResponse.error(ctx, ApiError.unavailable("The batch could not be stored in Kafka: " + e.getMessage()));
            return;
        }
        LOG.info("batch {} created ({} of {})", record.id(), record.endpoint(), record.inputFileId());
        JsonResponse.send(ctx, 200, BatchObjects.batch(record, Optional.empty()));
    }

    void show(final Context ctx) {
        visibleBatch(ctx).ifPresent(batch -> JsonResponse.send(ctx, 200,
                BatchObjects.batch(batch, directory.cancelOf(batch.id()))));
    }

    void list(final Context ctx) {
        final Optional<String> keyId = caller(ctx);
        if (keyId == null) {
            return;
        }
        switch (ListPage.limit(ctx.queryParam("limit"), 20, 100)) {
            case ListPage.Limit.Invalid invalid -> JsonResponse.error(ctx, invalid.error());
            case ListPage.Limit.Valid limit -> {
                final List<BatchRecord> visible = directory.all().stream()
                        .filter(batch -> visibleTo(batch, keyId.orElse(null))).toList();
                final ListPage<BatchRecord> page = ListPage.of(visible, BatchRecord::id, BatchRecord::createdAt,
                        ctx.queryParam("after"), limit.value());
                JsonResponse.send(ctx, 200, FileObjects.page(page.items().stream()
                        .map(batch -> BatchObjects.batch(batch, directory.cancelOf(batch.id()))).toList(),
                        page.hasMore()));
            }
        }
    }

    void cancel(final Context ctx) throws IOException {
        final Optional<BatchRecord> found = visibleBatch(ctx);
        if (found.isEmpty()) {
            return;
        }
        final BatchRecord batch = found.get();
        if (batch.status().isFinal()) {
            JsonResponse.error(ctx, new ApiError(409, "Cannot cancel a batch that is " + batch.status().wireName()
                    + ".", "invalid_request_error", null, "batch_not_cancellable"));
            return;
        }
        Optional<BatchCancel> cancel = directory.cancelOf(batch.id());
        if (cancel.isEmpty()) {
            final BatchCancel asked = new BatchCancel(batch.id(), clock.millis());
            try {
                directory.cancel(asked);
            } catch (final IOException e) {
                JsonResponse.error(ctx, ApiError.unavailable("The cancel could not be stored in Kafka: "
                        + e.getMessage()));
                return;
            }
            LOG.info("batch {} cancel asked", batch.id());
            cancel = Optional.of(asked);
        }
        JsonResponse.send(ctx, 200, BatchObjects.batch(batch, cancel));
    }

    /** What is wrong with a create request, or null. */
    private ApiError problem(final ObjectNode request, final String keyId) {
        final JsonNode fileId = request.get("input_file_id");
        if (fileId == null || !fileId.isTextual() || fileId.asText().isBlank()) {
            return ApiError.badRequest("Missing required parameter: 'input_file_id'.", "input_file_id");
        }
        final JsonNode endpoint = request.get("endpoint");
        if (endpoint == null || !endpoint.isTextual() || BatchEndpoints.of(endpoint.asText()).isEmpty()) {
            return ApiError.badRequest("endpoint must be one of /v1/chat/completions, /v1/completions,"
                    + " /v1/embeddings, /v1/responses.", "endpoint");
        }
        final JsonNode window = request.get("completion_window");
        if (window == null || !COMPLETION_WINDOW.equals(window.asText(null))) {
            return ApiError.badRequest("completion_window must be '24h'.", "completion_window");
        }
        final JsonNode metadata = request.get("metadata");
        if (metadata != null && !metadata.isNull()) {
            if (!metadata.isObject() || metadata.size() > MAX_METADATA) {
                return ApiError.badRequest("metadata must be an object of at most 16 string values.", "metadata");
            }
            for (final Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
                final Map.Entry<String, JsonNode> entry = it.next();
                if (!entry.getValue().isTextual() || entry.getKey().length() > 64
                        || entry.getValue().asText().length() > 512) {
                    return ApiError.badRequest("metadata values must be strings (keys up to 64, values up to 512"
                            + " characters).", "metadata");
                }
            }
        }
        final Optional<StoredFile> file = files.find(fileId.asText())
                .filter(found -> FileApiCaller.sees(auth, found.keyId(), keyId));
        if (file.isEmpty()) {
            return FilesHandler.noSuchFile(fileId.asText());
        }
        if (!StoredFile.PURPOSE_BATCH.equals(file.get().purpose())) {
            return ApiError.badRequest("The input file must have purpose 'batch', not '" + file.get().purpose()
                    + "'.", "input_file_id");
        }
        return null;
    }

    private Optional<BatchRecord> visibleBatch(final Context ctx) {
        final Optional<String> keyId = caller(ctx);
        if (keyId == null) {
            return Optional.empty();
        }
        final String id = ctx.pathParam("id");
        final Optional<BatchRecord> batch = directory.find(id).filter(found -> visibleTo(found, keyId.orElse(null)));
        if (batch.isEmpty()) {
            JsonResponse.error(ctx, directory.isLoaded()
                    ? new ApiError(404, "No such Batch object: " + id, "invalid_request_error", "id", "not_found")
                    : ApiError.unavailable("The gateway is still loading its batches; try again shortly."));
        }
        return batch;
    }

    /** The caller's key id (empty without one), or null after answering 401. */
    private Optional<String> caller(final Context ctx) {
        return FileApiCaller.of(auth, ctx);
    }

    private boolean visibleTo(final BatchRecord batch, final String keyId) {
        return FileApiCaller.sees(auth, batch.keyId(), keyId);
    }
}
