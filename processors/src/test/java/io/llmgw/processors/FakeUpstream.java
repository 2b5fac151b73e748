package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.RequestEnvelope;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** An upstream the test drives by hand: it records each started call and answers only when told to. */
final class FakeUpstream implements UpstreamClient {

    private final BlockingQueue<FakeCall> started = new LinkedBlockingQueue<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger maxRunning = new AtomicInteger();

    @Override
    public UpstreamCall start(final RequestEnvelope request, final ModelSpec model, final UpstreamListener listener) {
        maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        final FakeCall call = new FakeCall(request, listener);
        started.add(call);
        return call;
    }

    /** The next started call; fails the test if none starts within 5 s. */
    FakeCall nextCall() {
        try {
            final FakeCall call = started.poll(5, TimeUnit.SECONDS);
            if (call == null) {
                throw new AssertionError("no upstream call started within 5 s");
            }
            return call;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** True when no call was started that the test has not taken (processing is synchronous in the test driver). */
    boolean noCallPending() {
        return started.isEmpty();
    }

    int maxRunning() {
        return maxRunning.get();
    }

    final class FakeCall implements UpstreamCall {
        private final RequestEnvelope request;
        private final UpstreamListener listener;
        private volatile boolean cancelled;
        private boolean ended;

        FakeCall(final RequestEnvelope request, final UpstreamListener listener) {
            this.request = request;
            this.listener = listener;
        }

        RequestEnvelope request() {
            return request;
        }

        boolean cancelled() {
            return cancelled;
        }

        void chunk(final JsonNode chunk) {
            listener.onChunk(chunk);
        }

        void complete(final JsonNode completionOrNull) {
            end();
            listener.onComplete(completionOrNull);
        }

        void fail(final UpstreamFailure failure) {
            end();
            listener.onFailure(failure);
        }

        @Override
        public void cancel() {
            cancelled = true;
            end();
        }

        private synchronized void end() {
            if (!ended) {
                ended = true;
                running.decrementAndGet();
            }
        }
    }
}
