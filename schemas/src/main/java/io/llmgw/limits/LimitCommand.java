package io.llmgw.limits;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a gateway asks the owner of a key's counters, on {@code llm.limits} keyed by the key id: one partition owns
 * each key, so every gateway instance's reservations for that key are counted in one place, in order.
 *
 * <p>The key's limits travel with each reservation (the gateway has just read them from {@code llm.keys}), so the
 * owner needs no copy of the key table and a changed limit applies from the next request on.
 *
 * @param kind          reserve a place; release one whose request was never published; or finish: the request's
 *                      answer was delivered, so it no longer counts as running (its tokens settle with its usage)
 * @param requestId     the request the place is for (settlement and release find it by this id)
 * @param keyId         the key's non-secret id ({@code key_<id>}), also the record key
 * @param rpm           requests per minute, or null
 * @param tpm           tokens per minute, or null
 * @param maxConcurrent requests at once, or null
 * @param tokens        tokens reserved until the request's usage settles them (prompt estimate + max tokens)
 * @param deadlineMs    the request's deadline: a place nobody settles is freed some time after it (epoch ms)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LimitCommand(
        @JsonProperty("kind") Kind kind,
        @JsonProperty("request_id") String requestId,
        @JsonProperty("key_id") String keyId,
        @JsonProperty("rpm") Integer rpm,
        @JsonProperty("tpm") Integer tpm,
        @JsonProperty("max_concurrent") Integer maxConcurrent,
        @JsonProperty("tokens") long tokens,
        @JsonProperty("deadline_ms") long deadlineMs) {

    public enum Kind {
        @JsonProperty("reserve") RESERVE,
        @JsonProperty("release") RELEASE,
        @JsonProperty("finish") FINISH
    }

    public static LimitCommand reserve(final String requestId, final String keyId, final Integer rpm,
                                       final Integer tpm, final Integer maxConcurrent, final long tokens,
                                       final long deadlineMs) {
        return new LimitCommand(Kind.RESERVE, requestId, keyId, rpm, tpm, maxConcurrent, tokens, deadlineMs);
    }

    public static LimitCommand release(final String requestId, final String keyId) {
        return new LimitCommand(Kind.RELEASE, requestId, keyId, null, null, null, 0, 0);
    }

    public static LimitCommand finish(final String requestId, final String keyId) {
        return new LimitCommand(Kind.FINISH, requestId, keyId, null, null, null, 0, 0);
    }
}
