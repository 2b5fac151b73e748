package io.llmgw.limits;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One finished request, on {@code llm.usage} keyed by the key id (the same key as {@code llm.limits}, so the owner
 * of a key's counters reads its settlements on the same partition number). Written once per request by the
 * gateway's request results ({@code RequestResultsTopology}), the one reader that holds each request's state.
 *
 * @param requestId        the request
 * @param keyId            the caller's non-secret key id, {@value #NO_KEY} without a key
 * @param keyName          the managed key's name, {@value #STATIC_KEY} for a {@code GATEWAY_API_KEYS} key,
 *                         {@value #NO_KEY} without a key
 * @param model            the model asked for
 * @param endpoint         the OpenAI operation's wire name ({@code chat.completions}, ...)
 * @param promptTokens     the host's {@code prompt_tokens} (or {@code input_tokens}); 0 when it reported none
 * @param completionTokens the host's {@code completion_tokens} (or {@code output_tokens}); 0 when none
 * @param usageReported    whether the host reported usage at all (a stream without {@code include_usage} does not)
 * @param status           the HTTP status the request ended with (200, or its error's)
 * @param outcome          the request's final status: completed, failed, cancelled, expired
 * @param latencyMs        acceptance by the gateway to the terminal event
 * @param queueWaitMs      acceptance to a worker starting the call, -1 when no worker started it
 * @param receivedAtMs     when the gateway accepted it (epoch ms)
 * @param finishedAtMs     when it finished (epoch ms)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UsageRecord(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("key_id") String keyId,
        @JsonProperty("key_name") String keyName,
        @JsonProperty("model") String model,
        @JsonProperty("endpoint") String endpoint,
        @JsonProperty("prompt_tokens") long promptTokens,
        @JsonProperty("completion_tokens") long completionTokens,
        @JsonProperty("usage_reported") boolean usageReported,
        @JsonProperty("status") int status,
        @JsonProperty("outcome") String outcome,
        @JsonProperty("latency_ms") long latencyMs,
        @JsonProperty("queue_wait_ms") long queueWaitMs,
        @JsonProperty("received_at_ms") long receivedAtMs,
        @JsonProperty("finished_at_ms") long finishedAtMs) {

    /** The key id and name of a request made without a key (an open gateway). */
    public static final String NO_KEY = "none";
    /** The name of every static key: their number is bounded, their names are not ours to show. */
    public static final String STATIC_KEY = "static";

    public long totalTokens() {
        return promptTokens + completionTokens;
    }
}
