package io.llmgw.bench;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the content chunks of one stream against the tokens the simulator was asked to send, in order: a chunk that
 * never came is lost, one that came twice is duplicated, one that came after a later one is reordered, one that was
 * never sent (another stream's, say) is unexpected. The benchmark gives every token of every stream a unique text,
 * so a token identifies its position.
 *
 * <p>In-order chunks (the normal case) cost one string comparison; the position index is built only on the first
 * surprise.
 */
final class ChunkAudit {

    /**
     * The audit of one stream.
     *
     * @param expected   tokens the simulator sends
     * @param received   content chunks that arrived
     * @param lost       expected tokens that never arrived
     * @param duplicated arrivals of a token already seen
     * @param reordered  tokens that arrived after a later one
     * @param unexpected arrivals that match no expected token
     */
    record Verdict(int expected, int received, int lost, int duplicated, int reordered, int unexpected) {

        boolean clean() {
            return lost == 0 && duplicated == 0 && reordered == 0 && unexpected == 0 && received == expected;
        }
    }

    private final List<String> expected;
    private final BitSet seen = new BitSet();
    private Map<String, Integer> positions;
    private int highest = -1;
    private int received;
    private int duplicated;
    private int reordered;
    private int unexpected;

    ChunkAudit(final List<String> expected) {
        this.expected = List.copyOf(expected);
    }

    void accept(final String token) {
        received++;
        final int next = highest + 1;
        if (next < expected.size() && expected.get(next).equals(token)) {
            seen.set(next);
            highest = next;
            return;
        }
        final Integer position = positions().get(token);
        if (position == null) {
            unexpected++;
        } else if (seen.get(position)) {
            duplicated++;
        } else {
            seen.set(position);
            if (position < highest) {
                reordered++;
            } else {
                highest = position;
            }
        }
    }

    Verdict verdict() {
        return new Verdict(expected.size(), received, expected.size() - seen.cardinality(), duplicated, reordered,
                unexpected);
    }

    private Map<String, Integer> positions() {
        if (positions == null) {
            positions = new HashMap<>();
            for (int i = 0; i < expected.size(); i++) {
                positions.putIfAbsent(expected.get(i), i);
            }
        }
        return positions;
    }
}
