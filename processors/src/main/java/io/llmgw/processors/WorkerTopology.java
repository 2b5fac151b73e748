package io.llmgw.processors;

import io.llmgw.schemas.Topic;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import io.llmgw.runtime.ReplyPartitioner;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;

import java.util.Set;

/**
 * The worker topology of one model: its request topic -> {@link LlmCallProcessor} (with the in-flight store) -> the
 * events topic, partitioned to the asking gateway, for requests that end before they are queued (expired, cancelled)
 * or cannot be resumed, and the dead-letter topic for records that cannot be read. Events of started requests and
 * hand-overs to a fallback model leave through the {@link CallScheduler}'s producer instead.
 */
public final class WorkerTopology {

    public static final String SOURCE = "model-requests";
    public static final String PROCESSOR = "llm-call";
    public static final String EVENTS_SINK = "events";
    public static final String DLQ_SINK = "dlq";
    public static final String STORE = InFlightStore.NAME;

    private WorkerTopology() {
    }

    /** Adds the worker's nodes to {@code topology} and returns it. */
    public static Topology build(final Topology topology, final Topics topics, final ModelSpec model,
                                 final WorkerOptions options) {
        final Topic<String, ResponseEvent> events = topics.events();
        topology.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                topics.modelRequestsName(model.name()));
        topology.addProcessor(PROCESSOR, new ProcessorSupplier<String, byte[], String, Object>() {
            @Override
            public Processor<String, byte[], String, Object> get() {
                return new LlmCallProcessor(topics, model, options);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(InFlightStore.builder());
            }
        }, SOURCE);
        topology.addSink(EVENTS_SINK, events.name(), events.keySerde().serializer(), events.valueSerde().serializer(),
                new ReplyPartitioner(), PROCESSOR);
        topology.addSink(DLQ_SINK, topics.dlqName(), Serdes.String().serializer(), Serdes.ByteArray().serializer(),
                PROCESSOR);
        return topology;
    }
}
