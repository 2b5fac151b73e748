package io.llmgw.runtime;

import io.llmgw.schemas.ResponseEvent;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.StreamPartitioner;

import java.util.Optional;
import java.util.Set;

/**
 * Sends each response event to the events partition its gateway reads ({@link ResponseEvent#replyPartition()}), so a
 * gateway consumes only its own replies instead of every reply of the deployment.
 */
public final class ReplyPartitioner implements StreamPartitioner<String, ResponseEvent> {

    @Override
    public Optional<Set<Integer>> partitions(final String topic, final String key, final ResponseEvent event,
                                             final Headers headers, final int numPartitions) {
        final int partition = event.replyPartition();
        // A partition the topic does not have (events topic shrunk? a forged envelope?) cannot reach any gateway;
        // fall back to the default partitioner rather than fail the stream thread.
        if (partition < 0 || partition >= numPartitions) {
            return Optional.empty();
        }
        return Optional.of(Set.of(partition));
    }

    /** Kafka 4.x still declares this one abstract (it goes in 5.0); headers play no part in the choice. */
    @Override
    @SuppressWarnings("removal")
    public Optional<Set<Integer>> partitions(final String topic, final String key, final ResponseEvent event,
                                             final int numPartitions) {
        return partitions(topic, key, event, null, numPartitions);
    }
}
