package io.llmgw.gateway;

import io.llmgw.schemas.RequestIds;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;

/**
 * Makes request ids that Kafka's own key partitioning maps onto one of this gateway's reply partitions. A request's
 * events are keyed by its id and written to its reply partition; with ids chosen this way the two agree, so any
 * gateway instance can tell from the id alone which events partition holds a request, and Kafka Streams'
 * interactive-query metadata (which partitions by key) finds the instance that holds its results.
 *
 * <p>Drawing ids until one fits costs {@code eventPartitions / owned} tries on average, each a random draw and a
 * murmur2 hash; ids stay random in all their 96 bits but the few that select the partition.
 */
public final class RequestIdMint {

    private final boolean[] owned;
    private final int eventPartitions;

    /**
     * @param replyPartitions the partitions this instance reads
     * @param eventPartitions how many partitions the events topic has
     */
    public RequestIdMint(final ReplyPartitions replyPartitions, final int eventPartitions) {
        replyPartitions.checkAgainst(eventPartitions);
        this.eventPartitions = eventPartitions;
        this.owned = new boolean[eventPartitions];
        replyPartitions.partitions().forEach(partition -> owned[partition] = true);
    }

    /** A fresh id whose events partition is one of this instance's. */
    public String next() {
        while (true) {
            final String id = RequestIds.next();
            if (owned[partitionOf(id)]) {
                return id;
            }
        }
    }

    /** The events partition of a request id: what Kafka's default partitioner picks for that key. */
    public int partitionOf(final String id) {
        return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % eventPartitions;
    }
}
