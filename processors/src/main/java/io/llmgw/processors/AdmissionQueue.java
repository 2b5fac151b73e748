package io.llmgw.processors;

import io.llmgw.schemas.Priority;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Supplier;

/**
 * The order in which waiting requests start: priority class first ({@code high} before {@code normal} before
 * {@code low} before {@code batch}), then turns between callers (API key ids), then turns between the fairness keys
 * of one caller, then earliest deadline (ties: arrival). Not thread-safe: the {@link CallScheduler}'s loop owns it.
 *
 * <p>Why two levels of turns: a key that names a fairness key per end user must not get more starts than a key that
 * names none; so keys take turns first, and the tenants of one key share that key's turns. A caller that has nothing
 * waiting leaves the rotation and joins at its end when it has work again, so nobody banks turns while idle.
 */
final class AdmissionQueue {

    private static final String NO_KEY = "";
    private static final Comparator<ScheduledCall> EARLIEST_DEADLINE = Comparator
            .comparingLong((ScheduledCall call) -> call.request().deadlineMs())
            .thenComparingLong(ScheduledCall::arrival);

    /** Items that take turns: each non-empty member once per round, in the order they became non-empty. */
    private static final class Turns<T> {
        private final Map<String, T> members = new HashMap<>();
        private final ArrayDeque<String> rotation = new ArrayDeque<>();

        boolean isEmpty() {
            return rotation.isEmpty();
        }
    }

    private final Map<Priority, Turns<Turns<PriorityQueue<ScheduledCall>>>> bands = new EnumMap<>(Priority.class);
    private final int[] sizes = new int[Priority.values().length];
    private int size;

    void add(final ScheduledCall call) {
        final Turns<Turns<PriorityQueue<ScheduledCall>>> band = bands.computeIfAbsent(call.priority(),
                priority -> new Turns<>());
        final Turns<PriorityQueue<ScheduledCall>> caller = member(band, callerOf(call), Turns::new);
        member(caller, tenantOf(call), () -> new PriorityQueue<>(EARLIEST_DEADLINE)).add(call);
        sizes[call.priority().ordinal()]++;
        size++;
    }

    /** The next request to start, or null when none waits. */
    ScheduledCall poll() {
        for (final Priority priority : Priority.values()) {
            final Turns<Turns<PriorityQueue<ScheduledCall>>> band = bands.get(priority);
            if (band == null || band.isEmpty()) {
                continue;
            }
            final String callerKey = band.rotation.pollFirst();
            final Turns<PriorityQueue<ScheduledCall>> caller = band.members.get(callerKey);
            final String tenantKey = caller.rotation.pollFirst();
            final PriorityQueue<ScheduledCall> queue = caller.members.get(tenantKey);
            final ScheduledCall next = queue.poll();
            requeue(caller, tenantKey, !queue.isEmpty());
            requeue(band, callerKey, !caller.isEmpty());
            sizes[priority.ordinal()]--;
            size--;
            return next;
        }
        return null;
    }

    /** Takes {@code call} out (cancelled or expired while waiting); false if it was not waiting here. */
    boolean remove(final ScheduledCall call) {
        final Turns<Turns<PriorityQueue<ScheduledCall>>> band = bands.get(call.priority());
        final Turns<PriorityQueue<ScheduledCall>> caller = band == null ? null : band.members.get(callerOf(call));
        final PriorityQueue<ScheduledCall> queue = caller == null ? null : caller.members.get(tenantOf(call));
        if (queue == null || !queue.remove(call)) {
            return false;
        }
        if (queue.isEmpty()) {
            caller.members.remove(tenantOf(call));
            caller.rotation.remove(tenantOf(call));
        }
        if (caller.isEmpty()) {
            band.members.remove(callerOf(call));
            band.rotation.remove(callerOf(call));
        }
        sizes[call.priority().ordinal()]--;
        size--;
        return true;
    }

    int size() {
        return size;
    }

    int size(final Priority priority) {
        return sizes[priority.ordinal()];
    }

    boolean isEmpty() {
        return size == 0;
    }

    private static <T> T member(final Turns<T> turns, final String key, final Supplier<T> create) {
        // a member is in the rotation exactly while it is in the map: a new one joins at the end of the round
        T member = turns.members.get(key);
        if (member == null) {
            member = create.get();
            turns.members.put(key, member);
            turns.rotation.addLast(key);
        }
        return member;
    }

    private static <T> void requeue(final Turns<T> turns, final String key, final boolean hasMore) {
        if (hasMore) {
            turns.rotation.addLast(key);
        } else {
            turns.members.remove(key);
        }
    }

    static String callerOf(final ScheduledCall call) {
        final String keyId = call.request().keyId();
        return keyId == null ? NO_KEY : keyId;
    }

    private static String tenantOf(final ScheduledCall call) {
        final String tenant = call.request().fairnessKey();
        return tenant == null ? NO_KEY : tenant;
    }
}
