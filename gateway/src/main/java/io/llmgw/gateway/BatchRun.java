package io.llmgw.gateway;

import io.llmgw.batches.BatchError;
import io.llmgw.batches.BatchRecord;
import io.llmgw.batches.BatchStatus;
import io.llmgw.batches.StoredFile;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.Priority;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Drives one batch from where its record stands to a final status, on the instance that owns the batch's partition.
 *
 * <p><b>Progress is the log.</b> Every line is an ordinary request whose id derives from (batch, line index) and
 * whose events all go to one events partition; the run reads that partition from the offset recorded before the
 * first line was published. A line with a terminal event is done (the first terminal event counts, a later one of a
 * re-run is ignored); a line with a {@code queued} marker and no terminal event is in the pipeline and is not
 * published again (the gateway's publisher writes the marker only beside an acknowledged request). So a run that takes
 * a batch over after any crash rebuilds exactly what finished and what is on its way, and never repeats a finished
 * line.
 *
 * <p><b>Sharing the GPUs.</b> At most {@link BatchServices#window()} lines of a batch are published and unfinished at
 * a time, at {@link Priority#BATCH}: a worker's read-ahead never fills with batch lines, so an interactive request
 * published behind them is read at once and starts at the next free slot.
 *
 * <p><b>Ending.</b> A cancel or the end of the completion window stops the publishing; the lines on their way are
 * cancelled, and those that end with an error from then on count as not run ({@link BatchEnding}); what finished is
 * kept ({@link BatchProgress#files}).
 *
 * <p>Threading: one platform thread per run ({@code llmgw-batch-<id>}) owns every field and the events consumer;
 * {@link #stop()} only sets a flag, read at each turn of the loop (a poll lasts at most 200 ms).
 */
final class BatchRun implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchRun.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final JsonSerde<ResponseEvent> EVENTS = new JsonSerde<>(ResponseEvent.class);

    private final BatchServices services;
    private BatchRecord record;
    private volatile boolean stopped;

    private BatchProgress progress;
    /** Cancelled or expired once the run saw it, else null. */
    private BatchStatus ending;
    private int nextToPublish;
    private boolean caughtUp;

    BatchRun(final BatchRecord record, final BatchServices services) {
        this.record = record;
        this.services = services;
    }

    String batchId() {
        return record.id();
    }

    void stop() {
        stopped = true;
    }

    @Override
    public void run() {
        try {
            if (record.status() == BatchStatus.VALIDATING && !validate()) {
                return;
            }
            if (progress == null && !readInput()) {
                return;
            }
            drive();
        } catch (final IOException e) {
            // Kafka did not take a write: leave the batch as it stands; the driver starts a new run on its next look
            LOG.warn("batch {} paused: {}", record.id(), e.getMessage());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean validate() throws IOException, InterruptedException {
        if (!readInput()) {
            return false;
        }
        final int partition = BatchLines.partitionOf(record.id(), services.eventPartitions());
        final long start;
        try (Consumer<String, byte[]> consumer = services.events().get()) {
            final TopicPartition tp = new TopicPartition(services.eventsTopic(), partition);
            start = consumer.endOffsets(List.of(tp)).get(tp);
        }
        write(record.inProgress(progress.size(), partition, start, nowS()));
        LOG.info("batch {} in progress: {} lines, events from {}-{}@{}", record.id(), progress.size(),
                services.eventsTopic(), partition, start);
        return true;
    }

    /** Reads and checks the input file; a batch whose file is gone or wrong ends failed here. */
    private boolean readInput() throws IOException, InterruptedException {
        while (!services.models().isLoaded() || !services.files().isLoaded()) {
            if (stopped) {
                return false;
            }
            // the model list decides which lines are refused: wait for it rather than refuse every line
            Thread.sleep(100);
        }
        final StoredFile file = services.files().find(record.inputFileId()).orElse(null);
        if (file == null) {
            return fail(List.of(new BatchError("file_not_found", "The input file " + record.inputFileId()
                    + " does not exist any more.", "input_file_id", null)));
        }
        final ByteArrayOutputStream content = new ByteArrayOutputStream((int) Math.min(file.bytes(), 1 << 24));
        services.files().forEachChunk(file, content::writeBytes);
        final Endpoint endpoint = BatchEndpoints.of(record.endpoint()).orElseThrow();
        switch (BatchInput.parse(content.toByteArray(), endpoint, services.validator(),
                model -> services.allows(record.keyId(), model))) {
            case BatchInput.Outcome.Invalid invalid -> {
                return fail(invalid.errors());
            }
            case BatchInput.Outcome.Valid valid -> {
                progress = new BatchProgress(record.id(), valid.lines(), services.eventPartitions());
                return true;
            }
        }
    }

    private boolean fail(final List<BatchError> errors) throws IOException {
        write(record.failedWith(errors, nowS()));
        LOG.info("batch {} failed validation ({} errors, first: {})", record.id(), errors.size(),
                errors.getFirst().message());
        return false;
    }

    private void drive() throws IOException, InterruptedException {
        final TopicPartition tp = new TopicPartition(services.eventsTopic(), record.eventsPartition());
        try (Consumer<String, byte[]> consumer = services.events().get()) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, record.eventsStartOffset());
            final long endAtStart = consumer.endOffsets(List.of(tp)).get(tp);
            // lines refused by the gateway are done before anything runs
            for (int i = 0; i < progress.size(); i++) {
                final BatchInput.Line line = progress.line(i);
                if (line.error() != null) {
                    progress.resolve(i, BatchLines.refused(progress.requestId(i), line.customId(), line.error()),
                            false);
                }
            }
            long nextProgress = 0;
            long cancelUntil = Long.MAX_VALUE;
            while (!stopped) {
                for (final ConsumerRecord<String, byte[]> event : consumer.poll(POLL)) {
                    apply(event);
                }
                if (!caughtUp) {
                    caughtUp = consumer.position(tp) >= endAtStart;
                    if (!caughtUp) {
                        continue;
                    }
                    LOG.info("batch {}: {} of {} lines done, {} on their way", record.id(), progress.resolved(),
                            progress.size(), progress.inFlight());
                }
                final long nowMs = services.clock().millis();
                if (ending == null) {
                    ending = endingNow(nowMs);
                    if (ending != null) {
                        cancelUntil = nowMs + services.cancelGrace().toMillis();
                        cancelInFlight(nowMs);
                    }
                }
                if (ending == null) {
                    publishWindow(nowMs);
                    if (progress.allResolved()) {
                        finish(BatchStatus.COMPLETED);
                        return;
                    }
                } else if (progress.inFlight() == 0 || nowMs >= cancelUntil) {
                    finish(ending);
                    return;
                }
                if (nowMs >= nextProgress) {
                    if (progress.completed() != record.completed() || progress.failed() != record.failed()
                            || !progress.usage().equals(record.usage())) {
                        write(counted());
                    }
                    nextProgress = nowMs + services.progressEvery().toMillis();
                }
            }
        }
    }

    /** Cancelled or expired now, or null; a cancelling record is written at once, so readers see it. */
    private BatchStatus endingNow(final long nowMs) throws IOException {
        if (record.status() == BatchStatus.CANCELLING || services.directory().cancelOf(record.id()).isPresent()) {
            if (record.status() != BatchStatus.CANCELLING) {
                write(counted().cancelling(nowMs / 1000));
                LOG.info("batch {} cancelling: {} lines on their way", record.id(), progress.inFlight());
            }
            return BatchStatus.CANCELLED;
        }
        return BatchEnding.isPastExpiry(record, nowMs) ? BatchStatus.EXPIRED : null;
    }

    private void cancelInFlight(final long nowMs) {
        for (int i = 0; i < progress.size(); i++) {
            if (progress.isOpen(i)) {
                services.cancel(new CancelCommand(progress.requestId(i), CancelReason.CLIENT_CANCELLED, nowMs));
            }
        }
    }

    private void publishWindow(final long nowMs) throws InterruptedException {
        while (progress.inFlight() < services.window() && nextToPublish < progress.size() && !stopped) {
            final int index = nextToPublish++;
            if (!progress.needsPublishing(index)) {
                continue;
            }
            final BatchInput.Line line = progress.line(index);
            final RequestEnvelope envelope = new RequestEnvelope(progress.requestId(index), endpoint(), line.body()
                    .path("model").asText(), false, line.body(), nowMs, record.expiresAt() * 1000,
                    record.eventsPartition(), services.gatewayId(), record.keyId(), 1, true, Priority.BATCH,
                    record.id());
            try {
                services.publisher().publish(envelope);
            } catch (final PublishException e) {
                // not published (or not known to be): try this line again at the next turn
                nextToPublish = index;
                LOG.warn("batch {} line {} not published, retrying: {}", record.id(), index, e.getMessage());
                Thread.sleep(POLL.toMillis());
                return;
            }
            progress.published(index);
        }
    }

    private void apply(final ConsumerRecord<String, byte[]> event) {
        final Integer index = progress.indexOf(event.key());
        if (index == null || event.value() == null) {
            return;
        }
        if (!(EVENTS.decode(event.value()) instanceof Decoded.Ok<ResponseEvent> ok)) {
            return;
        }
        final ResponseEvent value = ok.value();
        final String requestId = progress.requestId(index);
        final String customId = progress.line(index).customId();
        final boolean first = switch (value.type()) {
            case QUEUED -> {
                progress.published(index);
                yield false;
            }
            case COMPLETE -> progress.resolve(index, BatchLines.answered(requestId, customId, 200, value.data()),
                    true);
            case ERROR -> BatchEnding.cutShortAs(ending, record, event.timestamp()) instanceof BatchStatus end
                    ? progress.cutShort(index, end)
                    : progress.resolve(index, BatchLines.answered(requestId, customId,
                            value.status() == null ? 500 : value.status(), value.data()), false);
            default -> false; // chunks and the started marker say nothing about the end
        };
        if (first && caughtUp) {
            services.metrics().lineDone(value.type() == EventType.COMPLETE);
        }
    }

    /** Writes the output and error files (ids fixed per batch, so a retry rewrites the same ones) and the end. */
    private void finish(final BatchStatus end) throws IOException {
        if (end == BatchStatus.COMPLETED) {
            write(counted().finalizing(nowS()));
        }
        final BatchProgress.Files files = progress.files(end);
        final String outputId = files.output().length == 0 ? null : services.files().storeBytes(
                BatchLines.fileId(record.id(), "output"), record.id() + "_output.jsonl", files.output(),
                record.keyId()).id();
        final String errorId = files.errors().length == 0 ? null : services.files().storeBytes(
                BatchLines.fileId(record.id(), "error"), record.id() + "_error.jsonl", files.errors(),
                record.keyId()).id();
        write(counted().ended(end, outputId, errorId, nowS()));
        LOG.info("batch {} {}: {} completed, {} failed, {} of them not run (output {}, errors {})", record.id(),
                end.wireName(), progress.completed(), progress.failed(), files.notRun(), outputId, errorId);
    }

    /** The record with the counts and usage of now. */
    private BatchRecord counted() {
        return record.counted(progress.completed(), progress.failed(), progress.usage());
    }

    private Endpoint endpoint() {
        return BatchEndpoints.of(record.endpoint()).orElseThrow();
    }

    private void write(final BatchRecord next) throws IOException {
        services.directory().write(next);
        record = next;
    }

    private long nowS() {
        return services.clock().millis() / 1000;
    }

    @Override
    public String toString() {
        return "BatchRun[" + record.id() + ", " + record.status().wireName() + ", "
                + (progress == null ? "?" : progress.resolved() + "/" + progress.size()) + "]";
    }
}
