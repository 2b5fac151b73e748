package io.llmgw.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * The partitions of the events topic that one gateway instance reads ({@link RequestIdMint} spreads its requests
 * over them). Several gateways share the events topic by owning disjoint sets ({@code GATEWAY_REPLY_PARTITIONS=0-2,5}).
 *
 * @param partitions sorted, distinct, non-negative, never empty
 */
public record ReplyPartitions(List<Integer> partitions) {

    public ReplyPartitions {
        if (partitions == null || partitions.isEmpty()) {
            throw new IllegalArgumentException("a gateway needs at least one reply partition");
        }
        partitions = List.copyOf(new TreeSet<>(partitions));
        if (partitions.getFirst() < 0) {
            throw new IllegalArgumentException("reply partitions cannot be negative: " + partitions);
        }
    }

    /** Every partition of an events topic with {@code count} partitions. */
    public static ReplyPartitions all(final int count) {
        return new ReplyPartitions(IntStream.range(0, count).boxed().toList());
    }

    /**
     * Reads a list of partitions and inclusive ranges: {@code 0-2,5} is {0, 1, 2, 5}.
     *
     * @throws IllegalArgumentException with the offending part when the text is not such a list
     */
    public static ReplyPartitions parse(final String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("reply partitions are empty");
        }
        final List<Integer> partitions = new ArrayList<>();
        for (final String raw : spec.split(",")) {
            final String part = raw.strip();
            final int dash = part.indexOf('-', 1);
            if (dash < 0) {
                partitions.add(number(part, spec));
                continue;
            }
            final int from = number(part.substring(0, dash).strip(), spec);
            final int to = number(part.substring(dash + 1).strip(), spec);
            if (to < from) {
                throw new IllegalArgumentException("reply partition range " + part + " runs backwards in: " + spec);
            }
            IntStream.rangeClosed(from, to).forEach(partitions::add);
        }
        return new ReplyPartitions(partitions);
    }

    /** Fails when this set names a partition the events topic does not have. */
    public ReplyPartitions checkAgainst(final int partitionCount) {
        if (partitions.getLast() >= partitionCount) {
            throw new IllegalArgumentException("reply partition " + partitions.getLast() + " does not exist: the events"
                    + " topic has " + partitionCount + " partitions (0-" + (partitionCount - 1) + ")");
        }
        return this;
    }

    @Override
    public String toString() {
        final StringBuilder text = new StringBuilder();
        int start = 0;
        for (int i = 1; i <= partitions.size(); i++) {
            if (i == partitions.size() || partitions.get(i) != partitions.get(i - 1) + 1) {
                if (!text.isEmpty()) {
                    text.append(',');
                }
                text.append(partitions.get(start));
                if (i - 1 > start) {
                    text.append('-').append(partitions.get(i - 1));
                }
                start = i;
            }
        }
        return text.toString();
    }

    private static int number(final String text, final String spec) {
        try {
            final int value = Integer.parseInt(text);
            if (value < 0) {
                throw new IllegalArgumentException("reply partitions cannot be negative: " + spec);
            }
            return value;
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a partition number in: " + spec, e);
        }
    }
}
