package io.llmgw.topology;

import io.llmgw.runtime.ReplyPartitioner;
import io.llmgw.schemas.ModelRoute;
import io.llmgw.schemas.Topics;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The router: reads every request from {@code llm.requests} and sends it to its model's topic, answers what cannot be
 * routed with an error event on the asking gateway's reply partition, and dead-letters what cannot be read. The model
 * registry ({@code llm.models}) is a global store, so every router task sees every model.
 */
public final class RouterTopology {

    /** The global store holding the model registry: model name to {@link ModelRoute}. */
    public static final String REGISTRY_STORE = "model-registry";

    /**
     * Writes a forwarded request's original bytes. The router never reads its own output, so there is no way back.
     */
    private static final Serde<RoutingDecision.Forward> FORWARDED_BYTES = Serdes.serdeFrom(
            (topic, forward) -> forward.request(),
            (topic, bytes) -> {
                throw new UnsupportedOperationException("forwarded requests are written, never read, by the router");
            });

    private RouterTopology() {
    }

    /** Adds the router to {@code builder}; the launcher and the tests build the same topology through this. */
    public static void build(final StreamsBuilder builder, final Topics topics, final RouteTopics routeTopics) {
        // Registry values are read as bytes and decoded by the loader, so an unreadable route cannot stop the global
        // thread; the loader also runs when the store is rebuilt at start-up.
        builder.addGlobalStore(registryStore(topics), topics.models().name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("model-registry-source"),
                () -> new ModelRegistryLoader(topics.models().valueSerde(), routeTopics));

        // Requests are read as bytes too: decoding happens in the router, which dead-letters what it cannot read.
        final KStream<String, RoutingDecision> decisions = builder
                .stream(topics.requests().name(),
                        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("requests-source"))
                .process(() -> new RequestRouter(topics.requests().valueSerde()), Named.as("route-request"));

        decisions.split(Named.as("decision-"))
                .branch((id, decision) -> decision instanceof RoutingDecision.Forward,
                        Branched.withConsumer(forwards -> forwards
                                .mapValues(decision -> (RoutingDecision.Forward) decision, Named.as("as-forward"))
                                .to((id, forward, recordContext) -> forward.topic(),
                                        Produced.with(Serdes.String(), FORWARDED_BYTES).withName("model-topic-sink")),
                                "forward"))
                .branch((id, decision) -> decision instanceof RoutingDecision.Reject,
                        Branched.withConsumer(rejects -> rejects
                                .mapValues(decision -> ((RoutingDecision.Reject) decision).event(), Named.as("as-event"))
                                .to(topics.events().name(), Produced.with(topics.events().keySerde(),
                                                topics.events().valueSerde(), new ReplyPartitioner())
                                        .withName("events-sink")),
                                "reject"))
                .defaultBranch(Branched.withConsumer(deadLetters -> deadLetters
                                .mapValues(decision -> ((RoutingDecision.DeadLetter) decision).original(),
                                        Named.as("as-dead-letter"))
                                .to(topics.dlqName(), Produced.with(Serdes.String(), Serdes.ByteArray())
                                        .withName("dlq-sink")),
                        "dead-letter"));
    }

    /** The router as a {@link Topology}, for callers that need no other processors in the same application. */
    public static Topology topology(final Topics topics, final RouteTopics routeTopics) {
        final StreamsBuilder builder = new StreamsBuilder();
        build(builder, topics, routeTopics);
        return builder.build();
    }

    private static StoreBuilder<KeyValueStore<String, ModelRoute>> registryStore(final Topics topics) {
        // In memory: the registry is a handful of routes, rebuilt from its compacted topic at every start.
        // Global stores are restored from their source topic, so they must not have a changelog of their own.
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(REGISTRY_STORE),
                        Serdes.String(), topics.models().valueSerde())
                .withLoggingDisabled();
    }
}
