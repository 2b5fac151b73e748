package io.llmgw.batches;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The tokens of a batch's answered lines, summed: OpenAI's batch {@code usage}. A line's answer carries either the
 * chat and completions names ({@code prompt_tokens}, {@code completion_tokens}, their {@code *_details}) or the
 * Responses names ({@code input_tokens}, {@code output_tokens}); both count. Immutable.
 */
public record BatchUsage(long inputTokens, long cachedTokens, long outputTokens, long reasoningTokens) {

    public static final BatchUsage NONE = new BatchUsage(0, 0, 0, 0);

    public long totalTokens() {
        return inputTokens + outputTokens;
    }

    /** This plus the {@code usage} object of one answer (null or missing: nothing). */
    public BatchUsage plus(final JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return this;
        }
        final long input = either(usage, "prompt_tokens", "input_tokens");
        final long output = either(usage, "completion_tokens", "output_tokens");
        final long cached = either(usage.path("prompt_tokens_details"), "cached_tokens", "")
                + either(usage.path("input_tokens_details"), "cached_tokens", "");
        final long reasoning = either(usage.path("completion_tokens_details"), "reasoning_tokens", "")
                + either(usage.path("output_tokens_details"), "reasoning_tokens", "");
        return new BatchUsage(inputTokens + input, cachedTokens + cached, outputTokens + output,
                reasoningTokens + reasoning);
    }

    private static long either(final JsonNode node, final String name, final String other) {
        final JsonNode value = node.has(name) ? node.get(name) : node.path(other);
        return value.canConvertToLong() && value.asLong() > 0 ? value.asLong() : 0;
    }
}
