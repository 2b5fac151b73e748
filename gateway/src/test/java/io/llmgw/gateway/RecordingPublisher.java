package io.llmgw.gateway;

import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.RequestEnvelope;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A publisher that records what it was given and plays a worker: {@link #onPublish} runs inside publish() (it may
 * dispatch replies or throw to simulate Kafka refusing).
 */
final class RecordingPublisher implements RequestPublisher {

    /** What happens when a request is published. */
    @FunctionalInterface
    interface Behaviour {
        void published(RequestEnvelope envelope) throws PublishException;
    }

    final BlockingQueue<RequestEnvelope> published = new LinkedBlockingQueue<>();
    final BlockingQueue<CancelCommand> cancels = new LinkedBlockingQueue<>();
    volatile Behaviour onPublish = envelope -> { };

    @Override
    public void publish(final RequestEnvelope envelope) throws PublishException {
        onPublish.published(envelope);
        published.add(envelope);
    }

    @Override
    public void cancel(final CancelCommand command) {
        cancels.add(command);
    }

    RequestEnvelope nextPublished(final Duration timeout) throws InterruptedException {
        return published.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    CancelCommand nextCancel(final Duration timeout) throws InterruptedException {
        return cancels.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
