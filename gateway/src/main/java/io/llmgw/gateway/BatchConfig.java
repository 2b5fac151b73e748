package io.llmgw.gateway;

import io.llmgw.settings.Settings;

import java.time.Duration;

/**
 * Settings of the Files and Batch APIs, parsed once.
 *
 * @param maxFileBytes {@code GATEWAY_FILE_MAX_BYTES}, default 200 MB (OpenAI's limit for batch input files): larger
 *                     uploads get 413
 * @param maxFileLines {@code GATEWAY_FILE_MAX_LINES}, default 50,000 (OpenAI's per batch): more lines get 400
 * @param window       {@code GATEWAY_BATCH_WINDOW}, default 64: lines of one batch published and not yet finished at
 *                     a time. Keep batches x window below the workers' {@code WORKER_MAX_WAITING} (1,000), so that a
 *                     worker's read-ahead always has room for interactive requests
 * @param completionWindow {@code GATEWAY_BATCH_COMPLETION_WINDOW}, default 24 h: how long after its creation a batch
 *                     expires (its {@code expires_at}). Clients still send OpenAI's only value, {@code "24h"}; an
 *                     operator may shorten the real window (a test uses seconds), never the API's word for it
 */
public record BatchConfig(long maxFileBytes, long maxFileLines, int window, Duration completionWindow) {

    public static final String MAX_FILE_BYTES = "GATEWAY_FILE_MAX_BYTES";
    public static final String MAX_FILE_LINES = "GATEWAY_FILE_MAX_LINES";
    public static final String WINDOW = "GATEWAY_BATCH_WINDOW";
    public static final String COMPLETION_WINDOW = "GATEWAY_BATCH_COMPLETION_WINDOW";
    public static final Duration DEFAULT_COMPLETION_WINDOW = Duration.ofHours(24);

    public BatchConfig {
        if (maxFileBytes <= 0 || maxFileLines <= 0 || window <= 0) {
            throw new IllegalArgumentException(MAX_FILE_BYTES + ", " + MAX_FILE_LINES + " and " + WINDOW
                    + " must be positive");
        }
        if (completionWindow.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException(COMPLETION_WINDOW + " must be at least one second");
        }
    }

    public static BatchConfig from(final Settings settings) {
        return new BatchConfig(settings.getLong(MAX_FILE_BYTES, 200L * 1024 * 1024),
                settings.getLong(MAX_FILE_LINES, 50_000), settings.getInt(WINDOW, 64),
                settings.getSeconds(COMPLETION_WINDOW, DEFAULT_COMPLETION_WINDOW));
    }
}
