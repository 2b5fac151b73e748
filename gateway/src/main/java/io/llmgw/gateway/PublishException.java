package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;

/** A request could not be published; {@link #error()} is what the client is told. */
public final class PublishException extends Exception {

    private final transient ApiError error;
    private final boolean outcomeUnknown;

    /**
     * @param outcomeUnknown true when the broker may still store the request later (the wait timed out): the caller
     *                       should cancel it so that no worker spends a GPU on it
     */
    public PublishException(final ApiError error, final boolean outcomeUnknown, final Throwable cause) {
        super(error.message(), cause);
        this.error = error;
        this.outcomeUnknown = outcomeUnknown;
    }

    public ApiError error() {
        return error;
    }

    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
