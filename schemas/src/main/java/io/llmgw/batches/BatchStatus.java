package io.llmgw.batches;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** OpenAI's batch statuses; the last four are final. */
public enum BatchStatus {
    VALIDATING("validating"),
    IN_PROGRESS("in_progress"),
    FINALIZING("finalizing"),
    CANCELLING("cancelling"),
    COMPLETED("completed"),
    FAILED("failed"),
    EXPIRED("expired"),
    CANCELLED("cancelled");

    private final String wireName;

    BatchStatus(final String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    public boolean isFinal() {
        return this == COMPLETED || this == FAILED || this == EXPIRED || this == CANCELLED;
    }

    @JsonCreator
    public static BatchStatus fromWireName(final String wireName) {
        for (final BatchStatus status : values()) {
            if (status.wireName.equals(wireName)) {
                return status;
            }
        }
        throw new IllegalArgumentException("unknown batch status: " + wireName);
    }
}
