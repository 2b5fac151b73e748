package io.llmgw.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.llmgw.limits.LimitCommand;
import io.llmgw.limits.LimitDecision;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The counters of one key, as its owner in the limits app keeps them ({@link LimitsTopology}): requests and tokens of
 * the last minute in one-second buckets, and the places held by requests that have not finished. Pure: every
 * operation returns the next value, so the counting is tested without Kafka ({@code KeyCountersTest}).
 *
 * <p>The window slides by whole seconds: a request counted in second {@code s} stops counting at the start of
 * second {@code s + 60}, so a place frees 59 to 60 s after it was taken. Sixty buckets at most, whatever the rate.
 *
 * @param seconds oldest first; only seconds that counted something
 * @param holds   request id to its place: the second it was counted in, the tokens it reserved, and whether it still
 *                runs (a request whose answer was delivered stops counting as concurrent before its usage settles)
 */
public record KeyCounters(
        @JsonProperty("seconds") List<Second> seconds,
        @JsonProperty("holds") Map<String, Hold> holds) {

    static final long WINDOW_SECONDS = 60;
    /** A place nobody settles (its usage record lost, its gateway gone) is freed this long after its deadline. */
    static final long HOLD_GRACE_MS = 30_000;
    /** A refusal by the concurrency limit cannot know when a request ends; one second is a fair first wait. */
    static final long CONCURRENCY_RETRY_MS = 1_000;

    /** One second of the window: what was admitted in it. */
    public record Second(@JsonProperty("s") long epochSecond, @JsonProperty("r") long requests,
                         @JsonProperty("t") long tokens) {
    }

    /** A request's place: its second, its reserved tokens, when it is freed if never settled, whether it runs. */
    public record Hold(@JsonProperty("s") long epochSecond, @JsonProperty("t") long tokens,
                       @JsonProperty("x") long expiresAtMs, @JsonProperty("r") boolean running) {
    }

    /** The next counters and the answer to send. */
    record Reserved(KeyCounters counters, LimitDecision decision) {
    }

    public KeyCounters {
        seconds = seconds == null ? List.of() : List.copyOf(seconds);
        holds = holds == null ? Map.of() : Map.copyOf(holds);
    }

    static final KeyCounters EMPTY = new KeyCounters(List.of(), Map.of());

    boolean isEmpty() {
        return seconds.isEmpty() && holds.isEmpty();
    }

    /** Without the seconds that left the window and the holds that expired at {@code nowMs}. */
    KeyCounters at(final long nowMs) {
        final long oldestKept = nowMs / 1000 - WINDOW_SECONDS + 1;
        final boolean stale = !seconds.isEmpty() && seconds.getFirst().epochSecond() < oldestKept;
        final boolean expired = holds.values().stream().anyMatch(hold -> hold.expiresAtMs() <= nowMs);
        if (!stale && !expired) {
            return this;
        }
        final List<Second> kept = seconds.stream().filter(second -> second.epochSecond() >= oldestKept).toList();
        final Map<String, Hold> held = new LinkedHashMap<>();
        holds.forEach((id, hold) -> {
            if (hold.expiresAtMs() > nowMs) {
                held.put(id, hold);
            }
        });
        return new KeyCounters(kept, held);
    }

    /**
     * Admits or refuses {@code command}'s request at {@code nowMs}, checking concurrency, then requests, then tokens.
     * A reservation seen again (redelivered after the owner restarted) is answered as admitted and not counted twice.
     */
    Reserved reserve(final LimitCommand command, final long nowMs) {
        final KeyCounters current = at(nowMs);
        if (current.holds.containsKey(command.requestId())) {
            return new Reserved(current, current.decision(command, nowMs, true, null, 0));
        }
        if (command.maxConcurrent() != null && current.running() >= command.maxConcurrent()) {
            return new Reserved(current, current.decision(command, nowMs, false, LimitDecision.RefusedBy.CONCURRENT,
                    CONCURRENCY_RETRY_MS));
        }
        if (command.rpm() != null && current.requests() >= command.rpm()) {
            return new Reserved(current, current.decision(command, nowMs, false, LimitDecision.RefusedBy.REQUESTS,
                    current.untilRequestsFree(nowMs, current.requests() - command.rpm() + 1)));
        }
        if (command.tpm() != null && current.tokens() + command.tokens() > command.tpm()) {
            return new Reserved(current, current.decision(command, nowMs, false, LimitDecision.RefusedBy.TOKENS,
                    current.untilTokensFree(nowMs, current.tokens() + command.tokens() - command.tpm())));
        }
        final KeyCounters next = current.counted(command, nowMs);
        return new Reserved(next, next.decision(command, nowMs, true, null, 0));
    }

    /**
     * The request finished: its place is freed, and its reserved tokens are replaced by what it used
     * ({@code usedTokens}), or kept when the host reported no usage ({@code usedTokens < 0}). Settling a request
     * that holds no place (no limits, settled already, expired) changes nothing.
     */
    KeyCounters settle(final String requestId, final long usedTokens, final long nowMs) {
        final Hold hold = holds.get(requestId);
        if (hold == null) {
            return this;
        }
        final long correction = usedTokens < 0 ? 0 : usedTokens - hold.tokens();
        return without(requestId).adjusted(hold.epochSecond(), 0, correction).at(nowMs);
    }

    /**
     * The request's answer was delivered: it stops counting as concurrent now, while its tokens wait for its usage
     * record (which a sequential client's next request must not wait for).
     */
    KeyCounters finish(final String requestId, final long nowMs) {
        final Hold hold = holds.get(requestId);
        if (hold == null || !hold.running()) {
            return this;
        }
        final Map<String, Hold> held = new LinkedHashMap<>(holds);
        held.put(requestId, new Hold(hold.epochSecond(), hold.tokens(), hold.expiresAtMs(), false));
        return new KeyCounters(seconds, held).at(nowMs);
    }

    /** Requests holding a place that still run. */
    long running() {
        return holds.values().stream().filter(Hold::running).count();
    }

    /** The request was never published: its place, its request and its tokens are all given back. */
    KeyCounters release(final String requestId, final long nowMs) {
        final Hold hold = holds.get(requestId);
        if (hold == null) {
            return this;
        }
        return without(requestId).adjusted(hold.epochSecond(), -1, -hold.tokens()).at(nowMs);
    }

    long requests() {
        return seconds.stream().mapToLong(Second::requests).sum();
    }

    long tokens() {
        return seconds.stream().mapToLong(Second::tokens).sum();
    }

    private KeyCounters counted(final LimitCommand command, final long nowMs) {
        // a clock that stepped back counts in the newest bucket rather than not at all
        final long second = seconds.isEmpty() ? nowMs / 1000 : Math.max(nowMs / 1000, seconds.getLast().epochSecond());
        final Map<String, Hold> held = new LinkedHashMap<>(holds);
        final long deadline = command.deadlineMs() > 0 ? command.deadlineMs() : nowMs;
        held.put(command.requestId(), new Hold(second, command.tokens(), deadline + HOLD_GRACE_MS, true));
        return new KeyCounters(seconds, held).adjusted(second, 1, command.tokens());
    }

    private KeyCounters without(final String requestId) {
        final Map<String, Hold> held = new LinkedHashMap<>(holds);
        held.remove(requestId);
        return new KeyCounters(seconds, held);
    }

    /** Adds to the bucket of {@code second} (created at the end when it is the newest; gone ones stay gone). */
    private KeyCounters adjusted(final long second, final long requests, final long tokens) {
        final List<Second> next = new ArrayList<>(seconds.size() + 1);
        boolean found = false;
        for (final Second bucket : seconds) {
            if (bucket.epochSecond() == second) {
                found = true;
                next.add(new Second(second, Math.max(0, bucket.requests() + requests),
                        Math.max(0, bucket.tokens() + tokens)));
            } else {
                next.add(bucket);
            }
        }
        if (!found && requests > 0 && (seconds.isEmpty() || seconds.getLast().epochSecond() < second)) {
            next.add(new Second(second, requests, Math.max(0, tokens)));
        }
        return new KeyCounters(next, holds);
    }

    /** Milliseconds until {@code excess} requests have left the window. */
    private long untilRequestsFree(final long nowMs, final long excess) {
        long freed = 0;
        for (final Second bucket : seconds) {
            freed += bucket.requests();
            if (freed >= excess) {
                return leavesAt(bucket) - nowMs;
            }
        }
        return WINDOW_SECONDS * 1000;
    }

    /** Milliseconds until {@code excess} tokens have left the window; a full minute when they never can. */
    private long untilTokensFree(final long nowMs, final long excess) {
        long freed = 0;
        for (final Second bucket : seconds) {
            freed += bucket.tokens();
            if (freed >= excess) {
                return leavesAt(bucket) - nowMs;
            }
        }
        return WINDOW_SECONDS * 1000;
    }

    private static long leavesAt(final Second bucket) {
        return (bucket.epochSecond() + WINDOW_SECONDS) * 1000;
    }

    /** Where the key stands, as OpenAI's headers tell it: resets are when everything counted now has left. */
    private LimitDecision decision(final LimitCommand command, final long nowMs, final boolean allowed,
                                   final LimitDecision.RefusedBy refusedBy, final long retryAfterMs) {
        final long requestsReset = seconds.stream().filter(s -> s.requests() > 0).mapToLong(KeyCounters::leavesAt)
                .max().orElse(nowMs) - nowMs;
        final long tokensReset = seconds.stream().filter(s -> s.tokens() > 0).mapToLong(KeyCounters::leavesAt)
                .max().orElse(nowMs) - nowMs;
        return new LimitDecision(command.requestId(), allowed, refusedBy,
                command.rpm(), command.rpm() == null ? 0 : Math.max(0, command.rpm() - requests()), requestsReset,
                command.tpm(), command.tpm() == null ? 0 : Math.max(0, command.tpm() - tokens()), tokensReset,
                command.maxConcurrent(), (int) running(), Math.max(0, retryAfterMs));
    }
}
