package io.llmgw.processors;

import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;

/**
 * Where the {@link CallScheduler} sends what started requests produce. One sender (one producer) carries every
 * event of a request, and the scheduler sends them from its one thread in seq order, so per-request order on the
 * request's events partition is the order of the calls (the producer is idempotent: retries keep it).
 */
interface EventSender extends AutoCloseable {

    /** Sends {@code event} to the events partition of its gateway; {@code onDelivered} runs once the broker has it. */
    void send(ResponseEvent event, Runnable onDelivered);

    /** Hands {@code request} to another model's request topic; {@code onDelivered} runs once the broker has it. */
    void handOver(String topic, RequestEnvelope request, Runnable onDelivered);

    @Override
    void close();
}
