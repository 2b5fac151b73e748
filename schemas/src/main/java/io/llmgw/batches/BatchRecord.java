package io.llmgw.batches;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * A batch as the compacted topic {@code <prefix>.batches} holds it, keyed by {@link #id()}. The gateway that
 * accepted it writes the first record ({@code validating}); after that only the instance driving it (the owner of
 * its partition) writes. The counts are a snapshot for readers: the truth of what finished is the batch's terminal
 * events on {@code <prefix>.events}, which a driver reads again from {@link #eventsStartOffset()} when it takes the
 * batch over.
 *
 * @param eventsPartition   the events partition all of its lines' events go to (their ids are chosen so), or -1
 *                          before it started
 * @param eventsStartOffset the end of that partition just before its first line was published, or -1
 * @param revision          counts the writes of this batch's record: a reader keeps the highest, so a snapshot that
 *                          arrives late never undoes a later one
 * @param usage             the tokens of the lines answered so far, a snapshot like the counts
 * (the {@code *At} fields are epoch seconds, null until the batch got there)
 */
public record BatchRecord(
        String id,
        String endpoint,
        String inputFileId,
        String completionWindow,
        BatchStatus status,
        String outputFileId,
        String errorFileId,
        List<BatchError> errors,
        ObjectNode metadata,
        String keyId,
        long total,
        long completed,
        long failed,
        int eventsPartition,
        long eventsStartOffset,
        long createdAt,
        long expiresAt,
        Long inProgressAt,
        Long finalizingAt,
        Long completedAt,
        Long failedAt,
        Long expiredAt,
        Long cancellingAt,
        Long cancelledAt,
        long revision,
        BatchUsage usage) {

    public BatchRecord {
        errors = errors == null ? List.of() : List.copyOf(errors);
        usage = usage == null ? BatchUsage.NONE : usage; // a record written before usage was kept
    }

    /** A batch just accepted: validating, nothing counted. */
    public static BatchRecord accepted(final String id, final String endpoint, final String inputFileId,
                                       final String completionWindow, final ObjectNode metadata, final String keyId,
                                       final long createdAt, final long expiresAt) {
        return new BatchRecord(id, endpoint, inputFileId, completionWindow, BatchStatus.VALIDATING, null, null,
                List.of(), metadata, keyId, 0, 0, 0, -1, -1, createdAt, expiresAt, null, null, null, null, null, null,
                null, 0, BatchUsage.NONE);
    }

    public BatchRecord inProgress(final long totalLines, final int partition, final long startOffset,
                                  final long nowS) {
        return new BatchRecord(id, endpoint, inputFileId, completionWindow, BatchStatus.IN_PROGRESS, null, null,
                errors, metadata, keyId, totalLines, 0, 0, partition, startOffset, createdAt, expiresAt, nowS, null,
                null, null, null, null, null, revision + 1, usage);
    }

    public BatchRecord failedWith(final List<BatchError> problems, final long nowS) {
        return new BatchRecord(id, endpoint, inputFileId, completionWindow, BatchStatus.FAILED, null, null, problems,
                metadata, keyId, total, completed, failed, eventsPartition, eventsStartOffset, createdAt, expiresAt,
                inProgressAt, finalizingAt, completedAt, nowS, expiredAt, cancellingAt, cancelledAt, revision + 1, usage);
    }

    public BatchRecord counted(final long completedLines, final long failedLines) {
        return counted(completedLines, failedLines, usage);
    }

    public BatchRecord counted(final long completedLines, final long failedLines, final BatchUsage linesUsage) {
        return new BatchRecord(id, endpoint, inputFileId, completionWindow, status, outputFileId, errorFileId, errors,
                metadata, keyId, total, completedLines, failedLines, eventsPartition, eventsStartOffset, createdAt,
                expiresAt, inProgressAt, finalizingAt, completedAt, failedAt, expiredAt, cancellingAt, cancelledAt, revision + 1, linesUsage);
    }

    public BatchRecord cancelling(final long nowS) {
        return new BatchRecord(id, endpoint, inputFileId, completionWindow, BatchStatus.CANCELLING, outputFileId,
                errorFileId, errors, metadata, keyId, total, completed, failed, eventsPartition, eventsStartOffset,
                createdAt, expiresAt, inProgressAt, finalizingAt, completedAt, failedAt, expiredAt, nowS, cancelledAt, revision + 1, usage);
    }

    public BatchRecord finalizing(final long nowS) {
        return new BatchRecord(id, endpoint, inputFileId, completionWindow, BatchStatus.FINALIZING, outputFileId,
                errorFileId, errors, metadata, keyId, total, completed, failed, eventsPartition, eventsStartOffset,
                createdAt, expiresAt, inProgressAt, nowS, completedAt, failedAt, expiredAt, cancellingAt, cancelledAt, revision + 1, usage);
    }

    /** The final record: {@code completed}, {@code cancelled} or {@code expired}, with the files written. */
    public BatchRecord ended(final BatchStatus end, final String outputFile, final String errorFile, final long nowS) {
        final Long now = nowS; // boxed: a ternary of long and a null Long would unbox the null
        return new BatchRecord(id, endpoint, inputFileId, completionWindow, end, outputFile, errorFile, errors,
                metadata, keyId, total, completed, failed, eventsPartition, eventsStartOffset, createdAt, expiresAt,
                inProgressAt, finalizingAt, end == BatchStatus.COMPLETED ? now : completedAt, failedAt,
                end == BatchStatus.EXPIRED ? now : expiredAt, cancellingAt,
                end == BatchStatus.CANCELLED ? now : cancelledAt, revision + 1, usage);
    }
}
