package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.batches.BatchStatus;
import io.llmgw.batches.BatchUsage;

import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link BatchRun} knows of each line of its batch: published or not, and its outcome once its first terminal
 * event was read (a later one, of a re-run, changes nothing). From it come the counts and, at the end, the output and
 * error files, in which every line is exactly once, and the batch's token usage.
 *
 * <p><b>Ending.</b> A line that ends with an error while its batch is ending (cancelled or expired) did not fail on
 * its own: it was cut short, by the run's cancel or by its deadline, which is the batch's {@code expires_at}. Such a
 * line is in the error file as not run ({@code batch_cancelled} or {@code batch_expired}), as OpenAI writes the lines a
 * batch did not finish; a line that completed in time is kept in the output file.
 *
 * <p>Pure bookkeeping, owned by the run's thread.
 */
final class BatchProgress {

    /** The two files' content and how many lines of the error file never ran. */
    record Files(byte[] output, byte[] errors, long notRun) {
    }

    private final List<BatchInput.Line> lines;
    private final String[] requestIds;
    private final Map<String, Integer> indexById;
    private final ObjectNode[] outcomes;
    private final boolean[] successes;
    private final boolean[] published;
    private int resolved;
    private int inFlight;
    private long completed;
    private long failed;
    private BatchUsage usage = BatchUsage.NONE;

    BatchProgress(final String batchId, final List<BatchInput.Line> lines, final int eventPartitions) {
        this.lines = lines;
        requestIds = new String[lines.size()];
        outcomes = new ObjectNode[lines.size()];
        successes = new boolean[lines.size()];
        published = new boolean[lines.size()];
        indexById = new HashMap<>(lines.size() * 2);
        for (final BatchInput.Line line : lines) {
            requestIds[line.index()] = BatchLines.requestId(batchId, line.index(), eventPartitions);
            indexById.put(requestIds[line.index()], line.index());
        }
    }

    int size() {
        return lines.size();
    }

    BatchInput.Line line(final int index) {
        return lines.get(index);
    }

    String requestId(final int index) {
        return requestIds[index];
    }

    /** The line a request id names, or null for a request of no line of this batch. */
    Integer indexOf(final String requestId) {
        return requestId == null ? null : indexById.get(requestId);
    }

    /** Neither published (by this run or, as its {@code queued} marker says, an earlier one) nor ended. */
    boolean needsPublishing(final int index) {
        return !published[index] && outcomes[index] == null;
    }

    /** Published and not ended: on its way through router and worker. */
    boolean isOpen(final int index) {
        return published[index] && outcomes[index] == null;
    }

    /** Published by this run, or found published (a {@code queued} marker) by an earlier one. */
    void published(final int index) {
        if (needsPublishing(index)) {
            published[index] = true;
            inFlight++;
        }
    }

    /** Records a line's end; false when it had ended already (the first end counts). */
    boolean resolve(final int index, final ObjectNode outcome, final boolean success) {
        if (outcomes[index] != null) {
            return false;
        }
        outcomes[index] = outcome;
        successes[index] = success;
        resolved++;
        if (published[index]) {
            inFlight--;
        }
        if (success) {
            completed++;
        } else {
            failed++;
        }
        usage = usage.plus(outcome.path("response").path("body").get("usage"));
        return true;
    }

    /** A line's terminal error while its batch ends as {@code end}: it was cut short, so it counts as not run. */
    boolean cutShort(final int index, final BatchStatus end) {
        return resolve(index, notRun(index, end), false);
    }

    boolean allResolved() {
        return resolved == lines.size();
    }

    int resolved() {
        return resolved;
    }

    int inFlight() {
        return inFlight;
    }

    long completed() {
        return completed;
    }

    long failed() {
        return failed;
    }

    /** The tokens of every line's answer so far (a failed answer's usage, when it has one, counts too). */
    BatchUsage usage() {
        return usage;
    }

    /**
     * The output file (lines answered 2xx) and the error file (every other line; one that never ended is not run,
     * with {@code end}'s code). Counts those not-run lines as failed.
     */
    Files files(final BatchStatus end) {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final ByteArrayOutputStream errors = new ByteArrayOutputStream();
        long notRun = 0;
        for (int i = 0; i < lines.size(); i++) {
            final boolean ended = outcomes[i] != null;
            if (!ended) {
                resolve(i, notRun(i, end), false);
                notRun++;
            }
            final ByteArrayOutputStream target = successes[i] ? output : errors;
            target.writeBytes(JsonResponse.bytes(outcomes[i]));
            target.write('\n');
        }
        return new Files(output.toByteArray(), errors.toByteArray(), notRun);
    }

    private ObjectNode notRun(final int index, final BatchStatus end) {
        final boolean expired = end == BatchStatus.EXPIRED;
        return BatchLines.notRun(requestIds[index], lines.get(index).customId(),
                expired ? "batch_expired" : "batch_cancelled",
                expired ? "This line was not run before the batch expired."
                        : "This line was not run: the batch was cancelled.");
    }
}
