package io.llmgw.processors;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.llmgw.schemas.RequestEnvelope;

/**
 * What the in-flight store holds per request a task has read and not finished: enough for another worker to resume it.
 *
 * @param request       the envelope; its {@link RequestEnvelope#attempt()} is the attempt whose events the gateway
 *                      may already have
 * @param streamStarted whether a chunk of that attempt was sent (then it cannot be re-run unseen)
 * @param state         waiting for a slot or running; entries written before states existed were all running
 */
public record InFlightEntry(RequestEnvelope request, boolean streamStarted, State state) {

    /** Where the request is at this worker. */
    public enum State {
        WAITING("waiting"),
        RUNNING("running");

        private final String wireName;

        State(final String wireName) {
            this.wireName = wireName;
        }

        @JsonValue
        public String wireName() {
            return wireName;
        }

        @JsonCreator
        public static State fromWireName(final String wireName) {
            return "waiting".equals(wireName) ? WAITING : RUNNING;
        }
    }

    public InFlightEntry {
        state = state == null ? State.RUNNING : state;
    }

    static InFlightEntry waiting(final RequestEnvelope request) {
        return new InFlightEntry(request, false, State.WAITING);
    }

    static InFlightEntry running(final RequestEnvelope request, final boolean streamStarted) {
        return new InFlightEntry(request, streamStarted, State.RUNNING);
    }
}
