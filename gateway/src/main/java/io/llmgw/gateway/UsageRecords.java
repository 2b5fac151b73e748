package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.limits.UsageRecord;

/**
 * The usage record of a request that just reached its final state ({@link RequestState}).
 *
 * <p>Who writes it: the request results, on the stream thread that moves the request to its final state. That
 * processor is the one place that sees each request's whole life once (one owner per events partition over all
 * gateways), knows from its store whether a terminal event is the first or a repeat (a final state never changes),
 * and also ends requests nobody ended (expired at the deadline), so every published request gets exactly one record,
 * with or without limits. A worker never sees the requests that end before one takes them (refused by the router,
 * expired or cancelled in the queue) and would need the key table for names; the limits app sees only limited keys'
 * reservations; the answering gateway is gone when it crashes, and never answers a detached request.
 */
final class UsageRecords {

    private UsageRecords() {
    }

    static UsageRecord of(final RequestState state, final KeyNames names, final long finishedAtMs) {
        final JsonNode usage = state.usage();
        final long prompt = tokens(usage, "prompt_tokens", "input_tokens");
        final long completion = tokens(usage, "completion_tokens", "output_tokens");
        final int status = state.status() == RequestStatus.COMPLETED ? 200 : state.httpStatus();
        return new UsageRecord(state.id(), state.keyId() == null ? UsageRecord.NO_KEY : state.keyId(),
                names.of(state.keyId()), state.model(), state.endpoint() == null ? null : state.endpoint().wireName(),
                prompt, completion, usage != null && usage.isObject(), status, state.status().wireName(),
                Math.max(0, finishedAtMs - state.createdAtMs()),
                state.startedAtMs() > 0 ? Math.max(0, state.startedAtMs() - state.createdAtMs()) : -1,
                state.createdAtMs(), finishedAtMs);
    }

    private static long tokens(final JsonNode usage, final String name, final String responsesName) {
        if (usage == null || !usage.isObject()) {
            return 0;
        }
        final JsonNode value = usage.has(name) ? usage.get(name) : usage.get(responsesName);
        return value != null && value.canConvertToLong() ? Math.max(0, value.asLong()) : 0;
    }
}
