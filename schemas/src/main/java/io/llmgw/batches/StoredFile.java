package io.llmgw.batches;

import java.util.List;

/**
 * One uploaded (or batch-written) file as the compacted topic {@code <prefix>.files} holds it, keyed by {@link #id()}.
 * The content lives in {@code <prefix>.file-chunks}: {@link #chunkOffsets()} are the offsets of its chunks, in order,
 * on partition {@link #chunkPartition()}. Compaction never moves an offset and each chunk has a key of its own, so
 * the offsets stay valid until the file is deleted (its chunks then get tombstones).
 *
 * @param id             {@code file-<hex>}
 * @param bytes          size of the content
 * @param createdAt      epoch seconds
 * @param filename       as uploaded
 * @param purpose        {@code batch} for uploads, {@code batch_output} for the files a batch writes
 * @param lines          JSONL lines (non-empty) in the content
 * @param chunkPartition the partition of the chunks topic holding the content
 * @param chunkOffsets   offsets of the chunks there, in content order
 * @param keyId          the API key id that owns it, or null without keys
 */
public record StoredFile(String id, long bytes, long createdAt, String filename, String purpose, long lines,
                         int chunkPartition, List<Long> chunkOffsets, String keyId) {

    public static final String PURPOSE_BATCH = "batch";
    public static final String PURPOSE_BATCH_OUTPUT = "batch_output";

    public StoredFile {
        chunkOffsets = chunkOffsets == null ? List.of() : List.copyOf(chunkOffsets);
    }

    /** The key of chunk {@code index} of file {@code fileId} in the chunks topic. */
    public static String chunkKey(final String fileId, final int index) {
        return fileId + "/" + index;
    }
}
