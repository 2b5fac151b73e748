package io.llmgw.app.usage;

import io.llmgw.limits.UsageRecord;

import java.io.PrintStream;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Usage records summed per key name and model, printed as a table: requests, failed ones (any status but 200),
 * prompt, completion and total tokens, mean latency and mean queue wait. Pure: {@code UsageTableTest} feeds it
 * records. Used by one thread.
 */
final class UsageTable {

    /** One row: a key's use of one model. */
    record Row(String key, String model, long requests, long failed, long promptTokens, long completionTokens,
               long latencyMsSum, long queueWaitMsSum, long queueWaits) {

        Row plus(final UsageRecord record) {
            final boolean waited = record.queueWaitMs() >= 0;
            return new Row(key, model, requests + 1, failed + (record.status() == 200 ? 0 : 1),
                    promptTokens + record.promptTokens(), completionTokens + record.completionTokens(),
                    latencyMsSum + record.latencyMs(), queueWaitMsSum + (waited ? record.queueWaitMs() : 0),
                    queueWaits + (waited ? 1 : 0));
        }

        long totalTokens() {
            return promptTokens + completionTokens;
        }
    }

    private record RowKey(String key, String model) {
    }

    private final Map<RowKey, Row> rows = new TreeMap<>(Comparator.comparing(RowKey::key)
            .thenComparing(RowKey::model));

    void add(final UsageRecord record) {
        final String model = record.model() == null ? "?" : record.model();
        final String key = record.keyName() == null ? UsageRecord.NO_KEY : record.keyName();
        rows.merge(new RowKey(key, model), new Row(key, model, 0, 0, 0, 0, 0, 0, 0).plus(record),
                (old, added) -> old.plus(record));
    }

    List<Row> rows() {
        return List.copyOf(rows.values());
    }

    void print(final PrintStream out) {
        final String format = "%-24s %-36s %9s %7s %12s %12s %12s %11s %11s%n";
        out.printf(format, "KEY", "MODEL", "REQUESTS", "FAILED", "PROMPT", "COMPLETION", "TOTAL", "LATENCY_MS",
                "QUEUE_MS");
        for (final Row row : rows.values()) {
            out.printf(format, row.key(), row.model(), row.requests(), row.failed(), row.promptTokens(),
                    row.completionTokens(), row.totalTokens(), row.latencyMsSum() / row.requests(),
                    row.queueWaits() == 0 ? "-" : Long.toString(row.queueWaitMsSum() / row.queueWaits()));
        }
    }
}
