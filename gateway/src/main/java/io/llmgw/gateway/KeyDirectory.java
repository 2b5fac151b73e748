package io.llmgw.gateway;

import io.llmgw.keys.ApiKey;
import io.llmgw.runtime.CompactedTopicReader;
import io.llmgw.runtime.ProcessFailure;
import io.llmgw.schemas.Decoded;
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

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The managed API keys ({@code llm.keys}, compacted, keyed by name), read and followed by a
 * {@link CompactedTopicReader}: a change made with {@code ./llmgw keys} reaches every gateway instance as soon as its
 * poll returns, well inside two seconds, with no restart. Indexed by id, the prefix of each secret.
 *
 * <p>Threading: the reader's thread is the only writer of both maps; HTTP handlers read them.
 */
public final class KeyDirectory implements KeyTable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KeyDirectory.class);

    private final Topic<String, ApiKey> topic;
    private final Map<String, ApiKey> byName = new ConcurrentHashMap<>();
    private final Map<String, ApiKey> byId = new ConcurrentHashMap<>();
    private volatile CompactedTopicReader reader;

    private KeyDirectory(final Topic<String, ApiKey> topic) {
        this.topic = topic;
    }

    public static KeyDirectory start(final Settings settings, final GatewayConfig config,
                                     final ProcessFailure failure) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-gateway-keys-" + config.gatewayId());
        return start(new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer()),
                config.topics().keys(), failure);
    }

    static KeyDirectory start(final Consumer<String, byte[]> consumer, final Topic<String, ApiKey> topic,
                              final ProcessFailure failure) {
        final KeyDirectory directory = new KeyDirectory(topic);
        directory.reader = CompactedTopicReader.start(consumer, topic.name(), "key directory", directory::apply,
                failure);
        return directory;
    }

    @Override
    public Optional<ApiKey> byId(final String id) {
        return Optional.ofNullable(byId.get(id));
    }

    @Override
    public boolean anyKey() {
        return !byName.isEmpty();
    }

    @Override
    public boolean isLoaded() {
        final CompactedTopicReader current = reader;
        return current != null && current.isLoaded();
    }

    long unreadable() {
        return reader.unreadable();
    }

    @Override
    public void close() {
        reader.close();
    }

    private void apply(final String name, final byte[] value) {
        if (value == null) {
            final ApiKey removed = byName.remove(name);
            if (removed != null) {
                byId.remove(removed.id());
                LOG.info("API key {} deleted", name);
            }
            return;
        }
        switch (topic.valueSerde().decode(value)) {
            case Decoded.Ok<ApiKey> ok when name.equals(ok.value().name()) -> {
                final ApiKey key = ok.value();
                final ApiKey previous = byName.put(name, key);
                if (previous != null && !previous.id().equals(key.id())) {
                    byId.remove(previous.id());
                }
                byId.put(key.id(), key);
                if (isLoaded()) {
                    LOG.info("API key {} {}", name, key.revoked() ? "revoked" : previous == null ? "created" : "updated");
                }
            }
            case Decoded.Ok<ApiKey> ok -> throw new CompactedTopicReader.Unusable("record key " + name
                    + " holds the key named " + ok.value().name());
            case Decoded.Failed<ApiKey> failed -> throw new CompactedTopicReader.Unusable(failed.reason());
        }
    }
}
