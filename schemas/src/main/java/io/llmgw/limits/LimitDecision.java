package io.llmgw.limits;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The owner's answer to a reservation, on {@code llm.limits.decisions} keyed by request id: admitted or refused, and
 * where the key stands after it, which is what the gateway puts in OpenAI's {@code x-ratelimit-*} headers.
 *
 * @param requestId         the reservation answered
 * @param allowed           whether the request may go on
 * @param refusedBy         the limit that refused it, null when allowed
 * @param limitRequests     the key's requests per minute, or null without that limit
 * @param remainingRequests requests left in the window after this one
 * @param resetRequestsMs   how long until the oldest request counted in the window leaves it (0: none is counted)
 * @param limitTokens       the key's tokens per minute, or null
 * @param remainingTokens   tokens left in the window after this reservation
 * @param resetTokensMs     how long until the oldest tokens counted in the window leave it (0: none are counted)
 * @param limitConcurrent   the key's concurrent requests, or null
 * @param concurrent        requests of the key running now, this one included when allowed
 * @param retryAfterMs      for a refusal: when trying again can succeed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LimitDecision(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("allowed") boolean allowed,
        @JsonProperty("refused_by") RefusedBy refusedBy,
        @JsonProperty("limit_requests") Integer limitRequests,
        @JsonProperty("remaining_requests") long remainingRequests,
        @JsonProperty("reset_requests_ms") long resetRequestsMs,
        @JsonProperty("limit_tokens") Integer limitTokens,
        @JsonProperty("remaining_tokens") long remainingTokens,
        @JsonProperty("reset_tokens_ms") long resetTokensMs,
        @JsonProperty("limit_concurrent") Integer limitConcurrent,
        @JsonProperty("concurrent") int concurrent,
        @JsonProperty("retry_after_ms") long retryAfterMs) {

    /** Which of a key's limits refused a request; each has its own OpenAI-style error code. */
    public enum RefusedBy {
        @JsonProperty("requests") REQUESTS,
        @JsonProperty("tokens") TOKENS,
        @JsonProperty("concurrent") CONCURRENT
    }
}
