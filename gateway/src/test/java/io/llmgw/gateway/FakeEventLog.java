package io.llmgw.gateway;

import io.llmgw.schemas.ResponseEvent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An {@link EventLog} whose partition holds {@link #stored} events (of any request, from offset 0 on) and then
 * whatever the test {@link #append appends} while a cursor follows.
 */
final class FakeEventLog implements EventLog {

    final List<ResponseEvent> stored = new ArrayList<>();
    final BlockingQueue<ResponseEvent> live = new LinkedBlockingQueue<>();
    volatile long earliestOffset;
    volatile int opened;
    volatile int closed;

    void append(final ResponseEvent event) {
        live.add(event);
    }

    @Override
    public Optional<Cursor> open(final String id, final int partition, final long offset) {
        if (offset < earliestOffset) {
            return Optional.empty();
        }
        opened++;
        final List<ResponseEvent> backlog = new ArrayList<>(stored.subList((int) offset, stored.size()));
        return Optional.of(new Cursor() {
            @Override
            public List<ResponseEvent> poll(final Duration timeout) {
                final List<ResponseEvent> found = new ArrayList<>();
                if (!backlog.isEmpty()) {
                    backlog.stream().filter(event -> event.id().equals(id)).forEach(found::add);
                    backlog.clear();
                    return found;
                }
                try {
                    final ResponseEvent next = live.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    if (next != null && next.id().equals(id)) {
                        found.add(next);
                    }
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return found;
            }

            @Override
            public boolean caughtUp() {
                return backlog.isEmpty() && live.isEmpty();
            }

            @Override
            public void close() {
                closed++;
            }
        });
    }
}
