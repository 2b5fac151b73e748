package io.llmgw.batches;

/**
 * A client's request to cancel a batch, on the compacted topic {@code <prefix>.batch-cancels} keyed by the batch id.
 * It is a record of its own (not a change to the batch's record) because the batch's record has one writer, the
 * gateway instance that drives the batch; any instance may receive the cancel.
 */
public record BatchCancel(String batchId, long atMs) {
}
