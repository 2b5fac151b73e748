package io.llmgw.simulator;

import io.llmgw.schemas.ApiError;

/** A request the simulator refuses, carrying the OpenAI-style error it answers with (400 unless said otherwise). */
final class InvalidRequestException extends RuntimeException {

    private final transient ApiError error;

    InvalidRequestException(final ApiError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    static InvalidRequestException badField(final String param, final String expectation) {
        return new InvalidRequestException(ApiError.badRequest("'" + param + "' " + expectation, param));
    }

    ApiError error() {
        return error;
    }
}
