package io.llmgw.processors;

import io.llmgw.schemas.ResponseEvent;
import org.apache.kafka.streams.TestOutputTopic;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/**
 * The events a worker produced as a client's reply sees them, from both ways out: the task's sink (requests that end
 * before they are queued) and the scheduler's sender (everything of a started request). Lifecycle markers are set
 * aside (read them with {@link #markers()}); everything else is read in order like a {@link TestOutputTopic}.
 */
final class ReplyEvents {

    private final List<Supplier<List<ResponseEvent>>> sources;
    private final List<ResponseEvent> pending = new ArrayList<>();
    private final List<ResponseEvent> markers = new ArrayList<>();

    ReplyEvents(final List<Supplier<List<ResponseEvent>>> sources) {
        this.sources = List.copyOf(sources);
    }

    ResponseEvent readValue() {
        fill();
        if (pending.isEmpty()) {
            throw new NoSuchElementException("no reply event was sent");
        }
        return pending.removeFirst();
    }

    List<ResponseEvent> readValuesToList() {
        fill();
        final List<ResponseEvent> all = List.copyOf(pending);
        pending.clear();
        return all;
    }

    boolean isEmpty() {
        fill();
        return pending.isEmpty();
    }

    /** Every marker sent so far, in order. */
    List<ResponseEvent> markers() {
        fill();
        return List.copyOf(markers);
    }

    private void fill() {
        for (final Supplier<List<ResponseEvent>> source : sources) {
            for (final ResponseEvent event : source.get()) {
                (event.type().isMarker() ? markers : pending).add(event);
            }
        }
    }
}
