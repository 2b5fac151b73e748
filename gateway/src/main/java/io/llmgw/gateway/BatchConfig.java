package io.llmgw.gateway;

import io.llmgw.settings.Settings;

/**
 * Settings of the Files and Batch APIs, parsed once.
 *
 * @param maxFileBytes {@code GATEWAY_FILE_MAX_BYTES}, default 200 MB (OpenAI's limit for batch input files): larger
 *                     uploads get 413
 * @param maxFileLines {@code GATEWAY_FILE_MAX_LINES}, default 50,000 (OpenAI's per batch): more lines get 400
 * @param window       {@code GATEWAY_BATCH_WINDOW}, default 64: lines of one batch published and not yet finished at
 *                     a time. Keep batches x window below the workers' {@code WORKER_MAX_WAITING} (1,000), so that a
 *                     worker's read-ahead always has room for interactive requests
 */
public record BatchConfig(long maxFileBytes, long maxFileLines, int window) {

    public static final String MAX_FILE_BYTES = "GATEWAY_FILE_MAX_BYTES";
    public static final String MAX_FILE_LINES = "GATEWAY_FILE_MAX_LINES";
    public static final String WINDOW = "GATEWAY_BATCH_WINDOW";

    public BatchConfig {
        if (maxFileBytes <= 0 || maxFileLines <= 0 || window <= 0) {
            throw new IllegalArgumentException(MAX_FILE_BYTES + ", " + MAX_FILE_LINES + " and " + WINDOW
                    + " must be positive");
        }
    }

    public static BatchConfig from(final Settings settings) {
        return new BatchConfig(settings.getLong(MAX_FILE_BYTES, 200L * 1024 * 1024),
                settings.getLong(MAX_FILE_LINES, 50_000), settings.getInt(WINDOW, 64));
    }
}
