package io.llmgw.gateway;

import io.llmgw.schemas.ResponseEvent;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Reads one request's events back from the events topic, from where they start on, and then as they come. */
public interface EventLog {

    /**
     * A cursor over the events of request {@code id} in events partition {@code partition}, from {@code offset} on;
     * empty when Kafka no longer has the events at that offset (the topic's retention removed them).
     */
    Optional<Cursor> open(String id, int partition, long offset);

    /** Events of one request in the order the topic holds them. Used by one thread. */
    interface Cursor extends AutoCloseable {

        /** The request's events that arrived within {@code timeout}; possibly none. */
        List<ResponseEvent> poll(Duration timeout);

        /** True once the cursor has read everything the partition held at its last poll. */
        boolean caughtUp();

        @Override
        void close();
    }
}
