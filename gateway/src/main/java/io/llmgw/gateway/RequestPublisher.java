package io.llmgw.gateway;

import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.RequestEnvelope;

/** Where the gateway hands requests and cancellations to the rest of the system (Kafka, or a fake in tests). */
public interface RequestPublisher {

    /**
     * Publishes a request and returns once the broker has acknowledged it: only then may the gateway wait for a
     * reply.
     *
     * @throws PublishException with the error the client gets when the request was not accepted
     */
    void publish(RequestEnvelope envelope) throws PublishException;

    /** Publishes a cancellation without waiting; a failure is logged, since nobody could act on it. */
    void cancel(CancelCommand command);
}
