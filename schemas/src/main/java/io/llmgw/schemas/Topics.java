package io.llmgw.schemas;

import org.apache.kafka.common.serialization.Serdes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * All topics of one deployment, named under one prefix (default {@code llm}): {@code llm.requests},
 * {@code llm.requests.<model>}, {@code llm.events}, {@code llm.control}, {@code llm.models}, {@code llm.keys}, {@code llm.limits}, {@code llm.limits.decisions},
 * {@code llm.usage}, {@code llm.dlq}; for the Files and Batch APIs {@code llm.files}, {@code llm.file-chunks},
 * {@code llm.batches}, {@code llm.batch-cancels}.
 */
public record Topics(String prefix) {

    public static final String DEFAULT_PREFIX = "llm";

    /** Kafka's legal topic characters; anything else in a model name is replaced. */
    private static final Pattern ILLEGAL = Pattern.compile("[^a-zA-Z0-9._-]");
    private static final int MAX_TOPIC_LENGTH = 249;

    public Topics {
        if (prefix == null || prefix.isBlank() || ILLEGAL.matcher(prefix).find()) {
            throw new IllegalArgumentException("topic prefix must be non-empty and use only [a-zA-Z0-9._-]: " + prefix);
        }
    }

    public Topic<String, RequestEnvelope> requests() {
        return new Topic<>(prefix + ".requests", Serdes.String(), new JsonSerde<>(RequestEnvelope.class));
    }

    public Topic<String, RequestEnvelope> modelRequests(final String model) {
        return new Topic<>(modelRequestsName(model), Serdes.String(), new JsonSerde<>(RequestEnvelope.class));
    }

    public Topic<String, ResponseEvent> events() {
        return new Topic<>(prefix + ".events", Serdes.String(), new JsonSerde<>(ResponseEvent.class));
    }

    public Topic<String, CancelCommand> control() {
        return new Topic<>(prefix + ".control", Serdes.String(), new JsonSerde<>(CancelCommand.class));
    }

    public Topic<String, ModelRoute> models() {
        return new Topic<>(prefix + ".models", Serdes.String(), new JsonSerde<>(ModelRoute.class));
    }

    /** The managed API keys (compacted, keyed by key name): digests of secrets, never secrets. */
    public Topic<String, io.llmgw.keys.ApiKey> keys() {
        return new Topic<>(prefix + ".keys", Serdes.String(), new JsonSerde<>(io.llmgw.keys.ApiKey.class));
    }

    /** Reservations and releases for keys with limits, keyed by key id: the partition is the key's one owner. */
    public Topic<String, io.llmgw.limits.LimitCommand> limits() {
        return new Topic<>(prefix + ".limits", Serdes.String(), new JsonSerde<>(io.llmgw.limits.LimitCommand.class));
    }

    /** The owners' answers to reservations, keyed by request id; every gateway reads them all. */
    public Topic<String, io.llmgw.limits.LimitDecision> limitDecisions() {
        return new Topic<>(prefix + ".limits.decisions", Serdes.String(),
                new JsonSerde<>(io.llmgw.limits.LimitDecision.class));
    }

    /** One record per finished request, keyed by key id (co-partitioned with {@link #limits()}). */
    public Topic<String, io.llmgw.limits.UsageRecord> usage() {
        return new Topic<>(prefix + ".usage", Serdes.String(), new JsonSerde<>(io.llmgw.limits.UsageRecord.class));
    }

    /** Uploaded and batch-written files (compacted, keyed by file id): what each is and where its chunks are. */
    public Topic<String, io.llmgw.batches.StoredFile> files() {
        return new Topic<>(prefix + ".files", Serdes.String(), new JsonSerde<>(io.llmgw.batches.StoredFile.class));
    }

    /** The content of files in chunks of raw bytes (compacted, keyed {@code <file id>/<chunk index>}). */
    public String fileChunksName() {
        return prefix + ".file-chunks";
    }

    /** Batches (compacted, keyed by batch id): status, counts and where their progress is on the events topic. */
    public Topic<String, io.llmgw.batches.BatchRecord> batches() {
        return new Topic<>(prefix + ".batches", Serdes.String(), new JsonSerde<>(io.llmgw.batches.BatchRecord.class));
    }

    /** Clients' cancels of batches (compacted, keyed by batch id). */
    public Topic<String, io.llmgw.batches.BatchCancel> batchCancels() {
        return new Topic<>(prefix + ".batch-cancels", Serdes.String(),
                new JsonSerde<>(io.llmgw.batches.BatchCancel.class));
    }

    /** Dead letters keep their original bytes; the reason travels in headers. */
    public String dlqName() {
        return prefix + ".dlq";
    }

    /**
     * Maps a model name to its request topic, deterministically and without collisions: a name that is already a
     * legal topic suffix is used as is ({@code llm.requests.gpt-4}); otherwise illegal characters become {@code _}
     * and a short hash of the original name is appended, so {@code a/b} and {@code a_b} never share a topic
     * ({@code llm.requests.Qwen_Qwen2.5-72B-Instruct-AWQ.3f09c2a1}).
     */
    public String modelRequestsName(final String model) {
        if (model == null || model.isEmpty()) {
            throw new IllegalArgumentException("model name must not be empty");
        }
        final String base = prefix + ".requests.";
        final String cleaned = ILLEGAL.matcher(model).replaceAll("_");
        String name = cleaned.equals(model) ? base + model : base + cleaned + "." + shortHash(model);
        if (name.length() > MAX_TOPIC_LENGTH) {
            name = base + cleaned.substring(0, MAX_TOPIC_LENGTH - base.length() - 9) + "." + shortHash(model);
        }
        if (name.endsWith(".") || name.equals(base + ".") || name.equals(base + "..")) {
            name = base + "_" + shortHash(model);
        }
        return name;
    }

    private static String shortHash(final String model) {
        try {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(model.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
