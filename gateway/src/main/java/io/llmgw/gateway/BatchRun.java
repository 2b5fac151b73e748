package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.batches.BatchError;
import io.llmgw.batches.BatchRecord;
import io.llmgw.batches.BatchStatus;
import io.llmgw.batches.StoredFile;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Endpoint;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    private List<BatchInput.Line> lines;
    private Map<String, Integer> indexById;
    private String[] requestIds;
    private ObjectNode[] outcomes;
    private boolean[] successes;
    private boolean[] published;
    private int resolved;
    private int inFlight;
    private int nextToPublish;
    private long completed;
    private long failed;
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
            if (lines == null && !readInput()) {
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
        write(record.inProgress(lines.size(), partition, start, nowS()));
        LOG.info("batch {} in progress: {} lines, events from {}-{}@{}", record.id(), lines.size(),
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
                index(valid.lines());
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

    private void index(final List<BatchInput.Line> all) {
        lines = all;
        requestIds = new String[all.size()];
        outcomes = new ObjectNode[all.size()];
        successes = new boolean[all.size()];
        published = new boolean[all.size()];
        indexById = new HashMap<>(all.size() * 2);
        for (final BatchInput.Line line : all) {
            requestIds[line.index()] = BatchLines.requestId(record.id(), line.index(), services.eventPartitions());
            indexById.put(requestIds[line.index()], line.index());
        }
    }

    private void drive() throws IOException, InterruptedException {
        final TopicPartition tp = new TopicPartition(services.eventsTopic(), record.eventsPartition());
        try (Consumer<String, byte[]> consumer = services.events().get()) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, record.eventsStartOffset());
            final long endAtStart = consumer.endOffsets(List.of(tp)).get(tp);
            // lines refused by the gateway are done before anything runs
            for (final BatchInput.Line line : lines) {
                if (line.error() != null) {
                    resolve(line.index(), BatchLines.refused(requestIds[line.index()], line.customId(), line.error()),
                            false);
                }
            }
            long nextProgress = 0;
            long cancelUntil = Long.MAX_VALUE;
            BatchStatus ending = null;
            while (!stopped) {
                for (final ConsumerRecord<String, byte[]> event : consumer.poll(POLL)) {
                    apply(event);
                }
                if (!caughtUp) {
                    caughtUp = consumer.position(tp) >= endAtStart;
                    if (!caughtUp) {
                        continue;
                    }
                    LOG.info("batch {}: {} of {} lines done, {} on their way", record.id(), resolved, lines.size(),
                            inFlight);
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
                    if (resolved == lines.size()) {
                        finish(BatchStatus.COMPLETED);
                        return;
                    }
                } else if (inFlight == 0 || nowMs >= cancelUntil) {
                    finish(ending);
                    return;
                }
                if (nowMs >= nextProgress) {
                    if (completed != record.completed() || failed != record.failed()) {
                        write(record.counted(completed, failed));
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
                write(record.counted(completed, failed).cancelling(nowMs / 1000));
                LOG.info("batch {} cancelling: {} lines on their way", record.id(), inFlight);
            }
            return BatchStatus.CANCELLED;
        }
        return nowMs >= record.expiresAt() * 1000 ? BatchStatus.EXPIRED : null;
    }

    private void cancelInFlight(final long nowMs) {
        for (int i = 0; i < lines.size(); i++) {
            if (published[i] && outcomes[i] == null) {
                services.cancel(new CancelCommand(requestIds[i], CancelReason.CLIENT_CANCELLED, nowMs));
            }
        }
    }

    private void publishWindow(final long nowMs) throws InterruptedException {
        while (inFlight < services.window() && nextToPublish < lines.size() && !stopped) {
            final int index = nextToPublish++;
            if (published[index] || outcomes[index] != null) {
                continue;
            }
            final BatchInput.Line line = lines.get(index);
            final RequestEnvelope envelope = new RequestEnvelope(requestIds[index], endpoint(), line.body()
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
            published[index] = true;
            inFlight++;
        }
    }

    private void apply(final ConsumerRecord<String, byte[]> event) {
        final Integer index = event.key() == null ? null : indexById.get(event.key());
        if (index == null || event.value() == null) {
            return;
        }
        if (!(EVENTS.decode(event.value()) instanceof Decoded.Ok<ResponseEvent> ok)) {
            return;
        }
        final ResponseEvent value = ok.value();
        switch (value.type()) {
            case QUEUED -> {
                if (!published[index] && outcomes[index] == null) {
                    published[index] = true;
                    inFlight++;
                }
            }
            case COMPLETE -> resolve(index, BatchLines.answered(requestIds[index], lines.get(index).customId(), 200,
                    value.data()), true);
            case ERROR -> resolve(index, BatchLines.answered(requestIds[index], lines.get(index).customId(),
                    value.status() == null ? 500 : value.status(), value.data()), false);
            default -> {
                // chunks and the started marker say nothing about the end
            }
        }
    }

    private void resolve(final int index, final ObjectNode outcome, final boolean success) {
        if (outcomes[index] != null) {
            return; // a re-run's second answer: the first one counts
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
        if (caughtUp) {
            services.metrics().lineDone(success);
        }
    }

    /** Writes the output and error files (ids fixed per batch, so a retry rewrites the same ones) and the end. */
    private void finish(final BatchStatus end) throws IOException {
        if (end == BatchStatus.COMPLETED) {
            write(record.counted(completed, failed).finalizing(nowS()));
        }
        final String reason = end == BatchStatus.EXPIRED ? "batch_expired" : "batch_cancelled";
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final ByteArrayOutputStream errors = new ByteArrayOutputStream();
        for (int i = 0; i < lines.size(); i++) {
            final ObjectNode line = outcomes[i] != null ? outcomes[i] : BatchLines.notRun(requestIds[i],
                    lines.get(i).customId(), reason, end == BatchStatus.EXPIRED
                            ? "This line was not run before the batch expired."
                            : "This line was not run: the batch was cancelled.");
            if (outcomes[i] == null) {
                failed++;
            }
            final ByteArrayOutputStream target = outcomes[i] != null && successes[i] ? output : errors;
            target.writeBytes(JsonResponse.bytes(line));
            target.write('\n');
        }
        final String outputId = output.size() == 0 ? null : services.files().storeBytes(
                BatchLines.fileId(record.id(), "output"), record.id() + "_output.jsonl", output.toByteArray(),
                record.keyId()).id();
        final String errorId = errors.size() == 0 ? null : services.files().storeBytes(
                BatchLines.fileId(record.id(), "error"), record.id() + "_error.jsonl", errors.toByteArray(),
                record.keyId()).id();
        write(record.counted(completed, failed).ended(end, outputId, errorId, nowS()));
        LOG.info("batch {} {}: {} completed, {} failed (output {}, errors {})", record.id(), end.wireName(),
                completed, failed, outputId, errorId);
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
        return "BatchRun[" + record.id() + ", " + record.status().wireName() + ", " + resolved + "/"
                + (lines == null ? "?" : lines.size()) + "]";
    }
}
