package io.llmgw.gateway;

import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.config.SizeUnit;

/**
 * The routes of the Files and Batch APIs and the multipart limits uploads need (a file may be far larger than
 * {@code GATEWAY_MAX_BODY_BYTES}, which bounds a request that travels as one record).
 */
record BatchApi(FilesHandler files, BatchesHandler batches, BatchConfig config) {

    void configure(final JavalinConfig javalin) {
        // parts over 1 MiB wait on disk (the temp directory) until they are copied to Kafka, never on the heap
        javalin.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
        javalin.jetty.multipartConfig.maxFileSize(config.maxFileBytes(), SizeUnit.BYTES);
        javalin.jetty.multipartConfig.maxTotalRequestSize(config.maxFileBytes() + 1024 * 1024, SizeUnit.BYTES);
    }

    void register(final RoutesConfig routes) {
        routes.post(FilesHandler.PATH, files::upload);
        routes.get(FilesHandler.PATH, files::list);
        routes.get(FilesHandler.PATH + "/{id}", files::show);
        routes.get(FilesHandler.PATH + "/{id}/content", files::content);
        routes.delete(FilesHandler.PATH + "/{id}", files::delete);
        routes.post(BatchesHandler.PATH, batches::create);
        routes.get(BatchesHandler.PATH, batches::list);
        routes.get(BatchesHandler.PATH + "/{id}", batches::show);
        routes.post(BatchesHandler.PATH + "/{id}/cancel", batches::cancel);
    }
}
