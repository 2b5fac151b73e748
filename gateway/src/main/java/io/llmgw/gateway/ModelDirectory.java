package io.llmgw.gateway;

import io.llmgw.runtime.CompactedTopicReader;
import io.llmgw.runtime.ProcessFailure;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.ModelRoute;
import io.llmgw.schemas.Topic;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The gateway's view of the compacted model registry ({@code topics.models()}), read and followed by a
 * {@link CompactedTopicReader}: a tombstone removes a model; a record whose key and model disagree is skipped.
 *
 * <p>Threading: the reader's thread is the only writer of {@code routes}; HTTP handlers read the concurrent map.
 */
public final class ModelDirectory implements ModelCatalog, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelDirectory.class);

    private final Topic<String, ModelRoute> topic;
    private final Map<String, ModelRoute> routes = new ConcurrentSkipListMap<>();
    /** Set right after the reader starts; its thread may apply a record before that, hence the null check. */
    private volatile CompactedTopicReader reader;

    private ModelDirectory(final Topic<String, ModelRoute> topic) {
        this.topic = topic;
    }

    public static ModelDirectory start(final Settings settings, final GatewayConfig config,
                                       final ProcessFailure failure) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-gateway-models-" + config.gatewayId());
        return start(new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer()),
                config.topics().models(), failure);
    }

    static ModelDirectory start(final Consumer<String, byte[]> consumer, final Topic<String, ModelRoute> topic,
                                final ProcessFailure failure) {
        final ModelDirectory directory = new ModelDirectory(topic);
        directory.reader = CompactedTopicReader.start(consumer, topic.name(), "model directory", directory::apply,
                failure);
        return directory;
    }

    @Override
    public Optional<ModelRoute> find(final String model) {
        return Optional.ofNullable(routes.get(model));
    }

    @Override
    public List<ModelRoute> all() {
        return List.copyOf(routes.values());
    }

    /** Registry records skipped because they could not be used. */
    long unreadable() {
        return reader.unreadable();
    }

    @Override
    public boolean isLoaded() {
        return reader.isLoaded();
    }

    @Override
    public void close() {
        reader.close();
    }

    private void apply(final String model, final byte[] value) {
        if (value == null) {
            if (routes.remove(model) != null) {
                LOG.info("model {} removed from the registry", model);
            }
            return;
        }
        switch (topic.valueSerde().decode(value)) {
            case Decoded.Ok<ModelRoute> ok when model.equals(ok.value().model()) && ok.value().topic() != null -> {
                if (!ok.value().equals(routes.put(model, ok.value())) && reader != null && reader.isLoaded()) {
                    LOG.info("model {} is served through {}", model, ok.value().topic());
                }
            }
            case Decoded.Ok<ModelRoute> ok -> throw new CompactedTopicReader.Unusable("key " + model + " names model "
                    + ok.value().model() + " (topic " + ok.value().topic() + ")");
            case Decoded.Failed<ModelRoute> failed -> throw new CompactedTopicReader.Unusable(failed.reason());
        }
    }
}
