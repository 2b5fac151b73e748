package io.llmgw.schemas;

import org.apache.kafka.common.serialization.Serde;

/** A topic with the serdes of its keys and values: the one place a topic's name and types are stated together. */
public record Topic<K, V>(String name, Serde<K> keySerde, JsonSerde<V> valueSerde) {
}
