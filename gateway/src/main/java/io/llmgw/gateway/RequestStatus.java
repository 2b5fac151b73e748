package io.llmgw.gateway;

import com.fasterxml.jackson.annotation.JsonValue;

/** Where a request stands, as {@code GET /v1/requests/{id}} reports it. */
public enum RequestStatus {
    /** Published; no worker has started it yet. */
    QUEUED("queued"),
    /** A worker is calling the LLM host. */
    RUNNING("running"),
    /** Ended with a completion (or a stream's end). */
    COMPLETED("completed"),
    /** Ended with an error: the host's, a timeout of the worker, or the gateway's. */
    FAILED("failed"),
    /** Ended because its client cancelled (went away). */
    CANCELLED("cancelled"),
    /** Ended because its deadline passed. */
    EXPIRED("expired");

    private final String wireName;

    RequestStatus(final String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    public boolean isFinal() {
        return this != QUEUED && this != RUNNING;
    }
}
