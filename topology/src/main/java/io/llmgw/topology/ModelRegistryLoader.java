package io.llmgw.topology;

import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.ModelRoute;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.regex.Pattern;

/**
 * Keeps the global {@code model-registry} store in step with the compacted models topic. It runs on the global thread
 * (also when the store is rebuilt at start-up), so it must never throw: a record it cannot read makes its model absent,
 * exactly as a tombstone would, and is logged once, when it is read.
 */
final class ModelRegistryLoader implements Processor<String, byte[], Void, Void> {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistryLoader.class);
    /** Kafka's rule for topic names: a route to any other name would fail every send to it. */
    private static final Pattern LEGAL_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private final JsonSerde<ModelRoute> routes;
    private final RouteTopics routeTopics;
    private KeyValueStore<String, ModelRoute> registry;

    ModelRegistryLoader(final JsonSerde<ModelRoute> routes, final RouteTopics routeTopics) {
        this.routes = routes;
        this.routeTopics = routeTopics;
    }

    @Override
    public void init(final ProcessorContext<Void, Void> context) {
        registry = context.getStateStore(RouterTopology.REGISTRY_STORE);
    }

    @Override
    public void process(final Record<String, byte[]> record) {
        final String model = record.key();
        if (model == null || model.isEmpty()) {
            LOG.warn("ignoring a model registry record without a model name as key");
            return;
        }
        if (record.value() == null) {
            registry.delete(model);
            LOG.info("model {} removed from the registry", model);
            return;
        }
        switch (routes.decode(record.value())) {
            case Decoded.Ok<ModelRoute> ok when isRoutable(ok.value()) && !routeTopics.ensure(ok.value().topic()) ->
                    absent(model, "its topic " + ok.value().topic() + " does not exist and cannot be created");
            case Decoded.Ok<ModelRoute> ok when isRoutable(ok.value()) -> {
                registry.put(model, ok.value());
                LOG.info("model {} routes to {}", model, ok.value().topic());
            }
            case Decoded.Ok<ModelRoute> ok -> absent(model, "its topic is not a legal Kafka topic name: "
                    + ok.value().topic());
            case Decoded.Failed<ModelRoute> failed -> absent(model, failed.reason());
        }
    }

    private void absent(final String model, final String reason) {
        registry.delete(model);
        LOG.warn("model {} treated as absent: its registry record cannot be used ({})", model, reason);
    }

    private static boolean isRoutable(final ModelRoute route) {
        final String topic = route.topic();
        return topic != null && LEGAL_TOPIC.matcher(topic).matches() && !topic.equals(".") && !topic.equals("..");
    }
}
