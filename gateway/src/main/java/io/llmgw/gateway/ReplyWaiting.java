package io.llmgw.gateway;

import java.io.IOException;
import java.time.Duration;

/**
 * One handler's wait for its replies: the deadline, and the client it keeps an eye on meanwhile. Used by the one
 * handler thread that serves the request.
 */
final class ReplyWaiting {

    /** The client closed its connection while the handler waited. */
    static final class ClientGoneException extends IOException {
        ClientGoneException() {
            super("the client closed the connection", null);
        }
    }

    private final PendingReply pending;
    private final ClientConnection client;
    private final long deadlineNanos;
    private final Duration timeout;

    ReplyWaiting(final PendingReply pending, final ClientConnection client, final long deadlineNanos,
                 final Duration timeout) {
        this.pending = pending;
        this.client = client;
        this.deadlineNanos = deadlineNanos;
        this.timeout = timeout;
    }

    /** The request's whole timeout, for the 504's message. */
    Duration timeout() {
        return timeout;
    }

    Duration remaining() {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    /**
     * The next reply within {@code wait}, or null; checks the client every {@link ClientConnection#CHECK_INTERVAL}
     * meanwhile and throws when it has gone.
     */
    Reply next(final Duration wait) throws InterruptedException, ClientGoneException {
        final long until = System.nanoTime() + wait.toNanos();
        while (true) {
            final long left = until - System.nanoTime();
            final Reply reply = pending.next(Duration.ofNanos(
                    Math.max(0, Math.min(left, ClientConnection.CHECK_INTERVAL.toNanos()))));
            if (reply != null) {
                return reply;
            }
            if (client.isGone()) {
                throw new ClientGoneException();
            }
            if (until - System.nanoTime() <= 0) {
                return null;
            }
        }
    }
}
