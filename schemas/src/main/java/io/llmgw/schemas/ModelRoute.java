package io.llmgw.schemas;

/**
 * An entry of the compacted model registry. Key: {@link #model()}. Workers announce the model they serve at start-up;
 * operators may add routes by writing records themselves; a tombstone removes a model.
 *
 * @param model         the name clients use
 * @param topic         the per-model request topic its workers read
 * @param ownedBy       shown as {@code owned_by} in {@code /v1/models}
 * @param createdEpochS shown as {@code created} in {@code /v1/models}
 */
public record ModelRoute(String model, String topic, String ownedBy, long createdEpochS) {
}
