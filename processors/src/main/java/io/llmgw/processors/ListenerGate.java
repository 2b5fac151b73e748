package io.llmgw.processors;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link UpstreamCall} handed to the processor: lets each callback through at most once per the listener's
 * contract (one terminal outcome, nothing after it or after cancel). The lock makes "nothing after cancel()
 * returns" exact; callbacks only enqueue, so it is held for microseconds.
 *
 * <p>Threads: OkHttp's call thread delivers, the processor's and the cancel listener's threads may cancel; the lock
 * guards {@code finished}.
 */
final class ListenerGate implements UpstreamCall {
    private final ReentrantLock lock = new ReentrantLock();
    private final UpstreamListener listener;
    private boolean finished;
    private volatile Runnable canceller = () -> { };

    ListenerGate(final UpstreamListener listener) {
        this.listener = listener;
    }

    void onCancel(final Runnable canceller) {
        this.canceller = canceller;
    }

    boolean isFinished() {
        lock.lock();
        try {
            return finished;
        } finally {
            lock.unlock();
        }
    }

    void chunk(final JsonNode chunk) {
        lock.lock();
        try {
            if (!finished) {
                listener.onChunk(chunk);
            }
        } finally {
            lock.unlock();
        }
    }

    void complete(final JsonNode completion) {
        lock.lock();
        try {
            if (!finished) {
                finished = true;
                listener.onComplete(completion);
            }
        } finally {
            lock.unlock();
        }
    }

    void fail(final UpstreamFailure failure) {
        lock.lock();
        try {
            if (!finished) {
                finished = true;
                listener.onFailure(failure);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void cancel() {
        lock.lock();
        try {
            finished = true;
        } finally {
            lock.unlock();
        }
        canceller.run();
    }
}
