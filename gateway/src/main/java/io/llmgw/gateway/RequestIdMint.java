package io.llmgw.gateway;

import io.llmgw.schemas.RequestIds;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Makes request ids that Kafka's own key partitioning maps onto one of this gateway's reply partitions. A request's
 * events are keyed by its id and written to its reply partition; with ids chosen this way the two agree, so any
 * gateway instance can tell from the id alone which events partition holds a request, and Kafka Streams'
 * interactive-query metadata (which partitions by key) finds the instance that holds its results.
 *
 * <p>The partitions come from a supplier read once per id: with claims by consumer group they change as gateways join
 * and leave. While it holds none (before the first claim; {@code /ready} is 503 then and requests are refused), ids
 * are plain random ones.
 *
 * <p>Drawing ids until one fits costs {@code eventPartitions / owned} tries on average, each a random draw and a
 * murmur2 hash; ids stay random in all their 96 bits but the few that select the partition.
 */
public final class RequestIdMint {

    private final Supplier<Set<Integer>> stampable;
    private final int eventPartitions;

    /**
     * @param replyPartitions the partitions this instance reads
     * @param eventPartitions how many partitions the events topic has
     */
    public RequestIdMint(final ReplyPartitions replyPartitions, final int eventPartitions) {
        this(fixed(replyPartitions, eventPartitions), eventPartitions);
    }

    /**
     * @param stampable       the partitions new requests may use now ({@link ReplyConsumer#stampable()})
     * @param eventPartitions how many partitions the events topic has
     */
    public RequestIdMint(final Supplier<Set<Integer>> stampable, final int eventPartitions) {
        this.stampable = stampable;
        this.eventPartitions = eventPartitions;
    }

    /** A fresh id whose events partition is one of this instance's (any, while it holds none). */
    public String next() {
        final Set<Integer> owned = stampable.get();
        if (owned.stream().noneMatch(partition -> partition >= 0 && partition < eventPartitions)) {
            return RequestIds.next();
        }
        while (true) {
            final String id = RequestIds.next();
            if (owned.contains(partitionOf(id))) {
                return id;
            }
        }
    }

    /** The events partition of a request id: what Kafka's default partitioner picks for that key. */
    public int partitionOf(final String id) {
        return partitionOf(id, eventPartitions);
    }

    /** The events partition of a request id in a topic of {@code eventPartitions} partitions. */
    public static int partitionOf(final String id, final int eventPartitions) {
        return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % eventPartitions;
    }

    private static Supplier<Set<Integer>> fixed(final ReplyPartitions partitions, final int eventPartitions) {
        partitions.checkAgainst(eventPartitions);
        final Set<Integer> owned = Set.copyOf(partitions.partitions());
        return () -> owned;
    }
}
