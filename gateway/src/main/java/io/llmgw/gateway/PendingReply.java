package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.ResponseEvent;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One request whose client is waiting. The reply consumer thread {@link #offer offers} events; the HTTP handler
 * thread takes {@link #next replies} from an unbounded queue, so a slow client never blocks the consumer.
 *
 * <p>Threading: {@link #offer} and {@link #fail} may race (consumer thread vs. shutdown), so both hold the monitor,
 * which guards {@code sequencer} and {@code ended}; the queue is read by the handler thread without it.
 */
public final class PendingReply {

    private final String id;
    private final int partition;
    private final long registeredAtMs;
    private final ReplySequencer sequencer = new ReplySequencer();
    private final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    private boolean ended;

    PendingReply(final String id, final int partition, final long registeredAtMs) {
        this.id = id;
        this.partition = partition;
        this.registeredAtMs = registeredAtMs;
    }

    public String id() {
        return id;
    }

    /** The events partition its reply comes from; -1 when unknown. */
    int partition() {
        return partition;
    }

    /** When its handler registered (epoch ms): no reply to it can be older. */
    long registeredAtMs() {
        return registeredAtMs;
    }

    synchronized void offer(final ResponseEvent event) {
        if (ended) {
            return;
        }
        for (final Reply reply : sequencer.accept(event)) {
            replies.add(reply);
            ended |= reply.isTerminal();
        }
    }

    /** Ends the reply with {@code error} unless it has ended already. */
    synchronized void fail(final ApiError error) {
        if (!ended) {
            replies.add(Reply.Failed.of(error));
            ended = true;
        }
    }

    /** The next reply, or null when none came within {@code timeout}. */
    public Reply next(final Duration timeout) throws InterruptedException {
        return replies.poll(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
    }
}
