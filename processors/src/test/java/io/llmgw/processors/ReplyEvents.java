package io.llmgw.processors;

import io.llmgw.schemas.ResponseEvent;
import org.apache.kafka.streams.TestOutputTopic;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The events topic of a test driver as a client's reply sees it: lifecycle markers are set aside (read them with
 * {@link #markers()}), everything else is read in order like a {@link TestOutputTopic}.
 */
final class ReplyEvents {

    private final TestOutputTopic<String, ResponseEvent> topic;
    private final List<ResponseEvent> pending = new ArrayList<>();
    private final List<ResponseEvent> markers = new ArrayList<>();

    ReplyEvents(final TestOutputTopic<String, ResponseEvent> topic) {
        this.topic = topic;
    }

    ResponseEvent readValue() {
        fill();
        if (pending.isEmpty()) {
            throw new NoSuchElementException("no reply event was forwarded");
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

    /** Every marker forwarded so far, in order. */
    List<ResponseEvent> markers() {
        fill();
        return List.copyOf(markers);
    }

    private void fill() {
        for (final ResponseEvent event : topic.readValuesToList()) {
            (event.type().isMarker() ? markers : pending).add(event);
        }
    }
}
