package io.llmgw.gateway;

import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.UploadedFile;
import io.llmgw.batches.StoredFile;
import io.llmgw.schemas.ApiError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code /v1/files}: upload ({@code multipart/form-data} with {@code file} and {@code purpose=batch}), list, retrieve,
 * content and delete, answered with OpenAI's file objects. A file is visible only with the key that uploaded it when
 * keys are enforced. Stateless apart from the {@link FileStore}; called from many handler threads at once.
 */
final class FilesHandler {

    static final String PATH = "/v1/files";

    private static final Logger LOG = LoggerFactory.getLogger(FilesHandler.class);

    private final FileStore store;
    private final BearerAuth auth;
    private final long maxBytes;
    private final long maxLines;

    FilesHandler(final FileStore store, final BearerAuth auth, final long maxBytes, final long maxLines) {
        this.store = store;
        this.auth = auth;
        this.maxBytes = maxBytes;
        this.maxLines = maxLines;
    }

    void upload(final Context ctx) throws IOException {
        final Optional<String> keyId = caller(ctx);
        if (keyId == null) {
            return;
        }
        if (!store.isLoaded()) {
            JsonResponse.error(ctx, ApiError.unavailable("The gateway is still loading its files; try again shortly."));
            return;
        }
        final String contentType = ctx.contentType();
        if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
            JsonResponse.error(ctx, ApiError.badRequest("A file upload is multipart/form-data with the fields 'file'"
                    + " and 'purpose'.", "file"));
            return;
        }
        if (ctx.req().getContentLengthLong() > maxBytes + 1024 * 1024) {
            JsonResponse.error(ctx, tooLarge("The file is larger than the limit of " + maxBytes + " bytes."));
            return;
        }
        final UploadedFile file;
        final String purpose;
        try {
            // a client that sends the file without a filename sends a plain form part: take that too
            final UploadedFile named = ctx.uploadedFile("file");
            final jakarta.servlet.http.Part part = named != null ? null : ctx.req().getPart("file");
            file = named != null ? named : part == null ? null : new UploadedFile(part);
            purpose = ctx.formParam("purpose");
        } catch (final jakarta.servlet.ServletException e) {
            JsonResponse.error(ctx, ApiError.badRequest("The multipart body could not be read: " + rootMessage(e),
                    "file"));
            return;
        } catch (final RuntimeException e) {
            // Jetty refuses a part over the multipart limits while parsing (an IllegalStateException in a wrapper)
            if (String.valueOf(rootMessage(e)).toLowerCase(java.util.Locale.ROOT).contains("exceed")) {
                JsonResponse.error(ctx, tooLarge("The file is larger than the limit of " + maxBytes + " bytes."));
            } else {
                JsonResponse.error(ctx, ApiError.badRequest("The multipart body could not be read: "
                        + rootMessage(e), "file"));
            }
            return;
        }
        if (purpose == null || purpose.isBlank()) {
            JsonResponse.error(ctx, ApiError.badRequest("Missing required parameter: 'purpose'.", "purpose"));
            return;
        }
        if (!StoredFile.PURPOSE_BATCH.equals(purpose)) {
            JsonResponse.error(ctx, ApiError.badRequest("This gateway stores files for purpose 'batch' only, not '"
                    + purpose + "'.", "purpose"));
            return;
        }
        if (file == null) {
            JsonResponse.error(ctx, ApiError.badRequest("Missing required parameter: 'file'.", "file"));
            return;
        }
        final String filename = file.filename() == null || file.filename().isBlank() ? "upload.jsonl"
                : file.filename();
        final FileStore.Upload upload;
        try (InputStream content = file.content()) {
            upload = store.store(FileStore.newId(), filename, purpose, content, keyId.orElse(null), maxBytes,
                    maxLines);
        } catch (final IOException e) {
            LOG.warn("upload of {} not stored: {}", filename, e.getMessage());
            JsonResponse.error(ctx, ApiError.unavailable("The file could not be stored in Kafka: " + e.getMessage()));
            return;
        }
        switch (upload) {
            case FileStore.Upload.Stored stored -> {
                LOG.info("file {} stored ({} bytes, {} lines, {})", stored.file().id(), stored.file().bytes(),
                        stored.file().lines(), filename);
                JsonResponse.send(ctx, 200, FileObjects.file(stored.file()));
            }
            case FileStore.Upload.TooLarge tooLarge when tooLarge.lines() ->
                    JsonResponse.error(ctx, ApiError.badRequest(tooLarge.message(), "file"));
            case FileStore.Upload.TooLarge tooLarge -> JsonResponse.error(ctx, tooLarge(tooLarge.message()));
        }
    }

    void list(final Context ctx) {
        final Optional<String> keyId = caller(ctx);
        if (keyId == null) {
            return;
        }
        final String purpose = ctx.queryParam("purpose");
        switch (ListPage.limit(ctx.queryParam("limit"), 10_000, 10_000)) {
            case ListPage.Limit.Invalid invalid -> JsonResponse.error(ctx, invalid.error());
            case ListPage.Limit.Valid limit -> {
                final List<StoredFile> visible = store.all().stream()
                        .filter(file -> visibleTo(file, keyId.orElse(null)))
                        .filter(file -> purpose == null || purpose.equals(file.purpose()))
                        .toList();
                final ListPage<StoredFile> page = ListPage.of(visible, StoredFile::id, StoredFile::createdAt,
                        ctx.queryParam("after"), limit.value());
                JsonResponse.send(ctx, 200, FileObjects.page(page.items().stream().map(FileObjects::file).toList(),
                        page.hasMore()));
            }
        }
    }

    void show(final Context ctx) {
        visibleFile(ctx).ifPresent(file -> JsonResponse.send(ctx, 200, FileObjects.file(file)));
    }

    void content(final Context ctx) throws IOException {
        final Optional<StoredFile> found = visibleFile(ctx);
        if (found.isEmpty()) {
            return;
        }
        final StoredFile file = found.get();
        ctx.status(200).contentType("application/jsonl");
        ctx.header(Header.CONTENT_LENGTH, Long.toString(file.bytes()));
        final OutputStream out = ctx.res().getOutputStream();
        // the status is sent with the first chunk: a read that fails later can only cut the body short
        store.copy(file, out);
        out.flush();
    }

    void delete(final Context ctx) throws IOException {
        final Optional<StoredFile> found = visibleFile(ctx);
        if (found.isEmpty()) {
            return;
        }
        store.delete(found.get());
        LOG.info("file {} deleted", found.get().id());
        JsonResponse.send(ctx, 200, FileObjects.deleted(found.get().id()));
    }

    /** The file of the path, if the caller may see it; otherwise the 401 or 404 is sent and empty returned. */
    Optional<StoredFile> visibleFile(final Context ctx) {
        final Optional<String> keyId = caller(ctx);
        if (keyId == null) {
            return Optional.empty();
        }
        final String id = ctx.pathParam("id");
        final Optional<StoredFile> file = store.find(id).filter(found -> visibleTo(found, keyId.orElse(null)));
        if (file.isEmpty()) {
            JsonResponse.error(ctx, store.isLoaded() ? noSuchFile(id)
                    : ApiError.unavailable("The gateway is still loading its files; try again shortly."));
        }
        return file;
    }

    static ApiError noSuchFile(final String id) {
        return new ApiError(404, "No such File object: " + id, "invalid_request_error", "id", "not_found");
    }

    /** The caller's key id (empty without one), or null after answering 401. */
    private Optional<String> caller(final Context ctx) {
        return FileApiCaller.of(auth, ctx);
    }

    private boolean visibleTo(final StoredFile file, final String keyId) {
        return FileApiCaller.sees(auth, file.keyId(), keyId);
    }

    private static ApiError tooLarge(final String message) {
        return new ApiError(413, message, "invalid_request_error", "file", "file_too_large");
    }

    private static String rootMessage(final Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }
}
