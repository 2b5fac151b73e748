package io.llmgw.gateway;

import io.llmgw.keys.ApiKey;
import io.llmgw.schemas.ApiError;

import java.time.Duration;

/** Whether a request passed the checks that come before publishing ({@link RequestAdmission}). */
sealed interface Admission {

    /** Refused with {@code error}; {@code model} when it was a known one (for the metrics), else null. */
    record Refused(String model, ApiError error) implements Admission {
    }

    /**
     * Admitted: the checked body, the caller's key id, the request's timeout, and whether it runs detached (an async
     * submit, or a background response) so that no disconnect cancels it. {@code clientStreams}: the client asked
     * for SSE (a background response streams from the host either way). {@code key}: the managed key's grant (its
     * limits), null for a static key or an open gateway.
     */
    record Admitted(RequestValidator.Outcome.Accepted request, String keyId, Duration timeout, boolean async,
                    SchedulingHeaders.Outcome.Scheduling scheduling, boolean clientStreams, ApiKey key)
            implements Admission {
    }
}
