package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Per-request behaviour asked for through the body field {@code "x_sim": {...}}, which the gateway forwards untouched
 * like any unknown field. Every knob is optional:
 * <ul>
 *   <li>{@code key} (string): names a scenario; the simulator counts calls per key ({@code fail_times} uses that count,
 *       and tests read it with {@link LlmSimulator#requestsForKey(String)}).</li>
 *   <li>{@code ttft_ms}, {@code tokens_per_second}: override the configured pace for this call (0 tokens/s = as fast
 *       as possible).</li>
 *   <li>{@code tokens}: generate exactly this many tokens per choice (the echoed text repeats to fill them); a
 *       {@code max_tokens} below it still caps the reply, with finish reason {@code length}.</li>
 *   <li>{@code fail_status} (400..599) and {@code fail_times}: answer with that status and an OpenAI error body instead
 *       of a completion, for the first {@code fail_times} calls carrying the same {@code key}; without a key, or
 *       without {@code fail_times}, every such call fails. The failure is immediate, as a host that refuses work.</li>
 *   <li>{@code retry_after} (seconds): sent as the {@code Retry-After} header on those failures.</li>
 *   <li>{@code cut_after}: close the connection abruptly after that many {@code data:} events of a stream (no
 *       {@code [DONE]}, no end of the chunked body), as a crashed host. A non-streaming call with any
 *       {@code cut_after} is cut after its waiting time, before any byte of the response.</li>
 *   <li>{@code stall_after} + {@code stall_ms}: after that many {@code data:} events, send nothing for
 *       {@code stall_ms}, then carry on. A non-streaming call is answered {@code stall_ms} later.</li>
 *   <li>{@code error_after}: after that many {@code data:} events, send an error object as an event
 *       ({@code data: {"error": {...}}}, as vLLM reports an engine failure mid-stream), then {@code [DONE]}.</li>
 *   <li>{@code content_type}: answer a streaming request with this content type instead of
 *       {@code text/event-stream}, after the full generation time: a JSON type gets the non-streaming completion
 *       object, any other type a short plain-text body. Tests a client's handling of hosts that ignore
 *       {@code stream}.</li>
 * </ul>
 * Counting {@code data:} events: every token chunk, the finish chunk and the usage chunk count; {@code [DONE]} does not.
 */
public record InjectedFaults(OptionalLong ttftMs, OptionalDouble tokensPerSecond, OptionalLong tokens,
                             Optional<String> key, OptionalLong failStatus, OptionalLong failTimes,
                             OptionalLong retryAfter, OptionalLong cutAfter, OptionalLong stallAfter,
                             OptionalLong stallMs, OptionalLong errorAfter, Optional<String> contentType) {

    public static final String FIELD = "x_sim";

    /** A reply longer than this is a typo, not a test, and would tie up a thread for nothing. */
    static final long MAX_TOKENS = 1_000_000;
    private static final long MAX_WAIT_MS = 3_600_000;

    public static InjectedFaults none() {
        return new InjectedFaults(OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.empty(), Optional.empty(),
                OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
                OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), Optional.empty());
    }

    /** Reads {@code x_sim} of a request body; throws {@link InvalidRequestException} naming a malformed knob. */
    static InjectedFaults from(final JsonNode body) {
        final Optional<JsonNode> xSim = BodyFields.object(body, FIELD, FIELD);
        if (xSim.isEmpty()) {
            return none();
        }
        final JsonNode node = xSim.get();
        final InjectedFaults faults = new InjectedFaults(
                BodyFields.longInRange(node, "ttft_ms", FIELD + ".ttft_ms", 0, MAX_WAIT_MS),
                BodyFields.nonNegativeNumber(node, "tokens_per_second", FIELD + ".tokens_per_second"),
                BodyFields.longInRange(node, "tokens", FIELD + ".tokens", 0, MAX_TOKENS),
                BodyFields.text(node, "key", FIELD + ".key"),
                BodyFields.longInRange(node, "fail_status", FIELD + ".fail_status", 400, 599),
                BodyFields.nonNegativeLong(node, "fail_times", FIELD + ".fail_times"),
                BodyFields.longInRange(node, "retry_after", FIELD + ".retry_after", 0, MAX_WAIT_MS / 1000),
                BodyFields.nonNegativeLong(node, "cut_after", FIELD + ".cut_after"),
                BodyFields.nonNegativeLong(node, "stall_after", FIELD + ".stall_after"),
                BodyFields.longInRange(node, "stall_ms", FIELD + ".stall_ms", 0, MAX_WAIT_MS),
                BodyFields.nonNegativeLong(node, "error_after", FIELD + ".error_after"),
                BodyFields.text(node, "content_type", FIELD + ".content_type"));
        if (faults.stallAfter.isPresent() != faults.stallMs.isPresent()) {
            throw InvalidRequestException.badField(FIELD + ".stall_ms", "and 'stall_after' go together");
        }
        return faults;
    }

    /** The scenario key of a body without validating it: counting must not depend on the body being well formed. */
    static Optional<String> keyOf(final JsonNode body) {
        final JsonNode key = body.path(FIELD).path("key");
        return key.isTextual() ? Optional.of(key.textValue()) : Optional.empty();
    }

    /**
     * Whether this call fails, given that it is the {@code callNumber}-th (1-based) call carrying its key.
     */
    boolean failsOnCall(final long callNumber) {
        if (failStatus.isEmpty()) {
            return false;
        }
        return key.isEmpty() || failTimes.isEmpty() || callNumber <= failTimes.getAsLong();
    }
}
