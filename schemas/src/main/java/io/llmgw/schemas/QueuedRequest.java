package io.llmgw.schemas;

/**
 * What the {@link EventType#QUEUED} marker says about a request: the envelope fields an observer of the events topic
 * needs (the gateway's request results), without the client's body.
 *
 * @param model        the model asked for
 * @param endpoint     the OpenAI operation
 * @param stream       whether the client asked for SSE
 * @param receivedAtMs when the gateway accepted it (epoch ms)
 * @param deadlineMs   when nobody waits any more (epoch ms)
 * @param detached     true for an async submit
 * @param keyId        the non-secret id of the caller's API key, or null
 * @param startedAtMs  when a worker started calling the LLM host for this attempt (epoch ms, the worker's clock);
 *                     0 when not started or not known (the gateway's marker)
 */
public record QueuedRequest(
        String model,
        Endpoint endpoint,
        boolean stream,
        long receivedAtMs,
        long deadlineMs,
        boolean detached,
        String keyId,
        long startedAtMs) {

    public QueuedRequest(final String model, final Endpoint endpoint, final boolean stream, final long receivedAtMs,
                         final long deadlineMs, final boolean detached, final String keyId) {
        this(model, endpoint, stream, receivedAtMs, deadlineMs, detached, keyId, 0);
    }

    public static QueuedRequest of(final RequestEnvelope request) {
        return new QueuedRequest(request.model(), request.endpoint(), request.stream(), request.receivedAtMs(),
                request.deadlineMs(), request.detached(), request.keyId());
    }

    /** The same description, saying when the worker started the call. */
    public QueuedRequest startedAt(final long atMs) {
        return new QueuedRequest(model, endpoint, stream, receivedAtMs, deadlineMs, detached, keyId, atMs);
    }
}
