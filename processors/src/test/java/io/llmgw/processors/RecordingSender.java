package io.llmgw.processors;

import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;

import java.util.ArrayList;
import java.util.List;

/**
 * An {@link EventSender} that keeps what it was given, in order. Deliveries are confirmed at once unless the test
 * holds them ({@link #holdDeliveries()}), to see what happens before the broker acknowledges.
 */
final class RecordingSender implements EventSender {

    record HandOver(String topic, RequestEnvelope request) {
    }

    private final List<ResponseEvent> events = new ArrayList<>();
    private final List<HandOver> handOvers = new ArrayList<>();
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;

    private static final Topic<String, ResponseEvent> WIRE = new Topics(Topics.DEFAULT_PREFIX).events();

    /** Keeps the event as a reader of the topic gets it: a relayed chunk's text becomes a tree, as on the wire. */
    @Override
    public synchronized void send(final ResponseEvent event, final Runnable onDelivered) {
        events.add(WIRE.valueSerde().deserializer().deserialize(WIRE.name(),
                WIRE.valueSerde().serializer().serialize(WIRE.name(), event)));
        deliver(onDelivered);
    }

    @Override
    public synchronized void handOver(final String topic, final RequestEnvelope request, final Runnable onDelivered) {
        handOvers.add(new HandOver(topic, request));
        deliver(onDelivered);
    }

    private void deliver(final Runnable onDelivered) {
        if (holding) {
            held.add(onDelivered);
        } else {
            onDelivered.run();
        }
    }

    synchronized void holdDeliveries() {
        holding = true;
    }

    /** Confirms every held delivery and stops holding. */
    synchronized void releaseDeliveries() {
        holding = false;
        held.forEach(Runnable::run);
        held.clear();
    }

    /** Every event sent since the last call, in order. */
    synchronized List<ResponseEvent> drain() {
        final List<ResponseEvent> all = List.copyOf(events);
        events.clear();
        return all;
    }

    synchronized List<HandOver> handOvers() {
        return List.copyOf(handOvers);
    }

    @Override
    public void close() {
    }
}
