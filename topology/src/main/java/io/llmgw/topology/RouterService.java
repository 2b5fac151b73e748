package io.llmgw.topology;

import io.llmgw.runtime.StreamsRunState;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.settings.StreamsProps;
import io.llmgw.settings.TopicAdmin;
import io.llmgw.settings.TopicAdmin.TopicLayout;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;

/**
 * The router as a running service: ensures the core topics, then runs {@link RouterTopology} in a Kafka Streams
 * instance. Settings: {@code TOPIC_PREFIX}, {@code ROUTER_APPLICATION_ID}, {@code ROUTER_THREADS},
 * {@code ROUTER_SESSION_TIMEOUT}, {@code STATE_DIR},
 * plus the Kafka client and topic layout settings of {@link KafkaClientProps} and {@link TopicLayout}.
 */
public final class RouterService implements AutoCloseable {

    static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    /**
     * The broker's default {@code group.min.session.timeout.ms}, as for workers. Kafka's own default (45 s) left the
     * request partitions of a router killed without warning unread for 45 s, whatever replaced it: the group waits for
     * a vanished member until its session ends.
     */
    static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(6);
    private static final Logger LOG = LoggerFactory.getLogger(RouterService.class);

    private final KafkaStreams streams;
    private final AdminRouteTopics routeTopics;
    private final StreamsRunState runState;

    private RouterService(final KafkaStreams streams, final AdminRouteTopics routeTopics) {
        this.streams = streams;
        this.routeTopics = routeTopics;
        this.runState = StreamsRunState.watch(streams, "router", LOG);
    }

    /** Creates missing core topics and starts the router; returns without waiting for it to be RUNNING. */
    public static RouterService start(final Settings settings) {
        final Topics topics = topics(settings);
        final TopicLayout layout = TopicLayout.from(settings);
        TopicAdmin.ensure(KafkaClientProps.common(settings), layout, TopicAdmin.coreTopics(topics, layout), TOPIC_TIMEOUT);

        final Properties props = streamsProperties(settings);
        final AdminRouteTopics routeTopics = new AdminRouteTopics(
                org.apache.kafka.clients.admin.Admin.create(KafkaClientProps.common(settings)), layout, TOPIC_TIMEOUT);
        final RouterService service = new RouterService(
                new KafkaStreams(RouterTopology.topology(topics, routeTopics), props), routeTopics);
        // A dead stream thread is replaced, within limits (StreamsFailurePolicy, installed by StreamsRunState.watch):
        // the router keeps no state of its own beyond the registry, so a fresh thread picks up where one died.
        LOG.info("starting router {} on {} (topics {}.*, Kafka client properties from the environment: {})",
                props.get(StreamsConfig.APPLICATION_ID_CONFIG), props.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG),
                topics.prefix(), KafkaClientProps.passthroughNames(settings));
        service.streams.start();
        return service;
    }

    static Topics topics(final Settings settings) {
        return new Topics(settings.get("TOPIC_PREFIX", Topics.DEFAULT_PREFIX));
    }

    /** The Streams configuration {@link #start(Settings)} uses: the shared defaults and the router's own. */
    @SuppressWarnings("deprecation") // the global-handler switch is deprecated because 5.0 makes it the default
    static Properties streamsProperties(final Settings settings) {
        final Duration session = settings.getSeconds("ROUTER_SESSION_TIMEOUT", DEFAULT_SESSION_TIMEOUT);
        return StreamsProps.forApp(settings, applicationId(settings))
                .threads(settings.getInt("ROUTER_THREADS", 1))
                .set(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), (int) session.toMillis())
                .set(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
                        (int) Math.max(500, session.toMillis() / 4))
                // Opts in to Kafka 5.0's behaviour now (the registry loader never throws, so nothing else changes)
                // and silences the start-up warning about it.
                .set(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true)
                .toProperties();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The Streams instance, for metrics binders; its lifecycle stays with this service. */
    public KafkaStreams kafkaStreams() {
        return streams;
    }

    /** The router's consumer group: {@code ROUTER_APPLICATION_ID}, default {@code <prefix>-router}. */
    public static String applicationId(final Settings settings) {
        return settings.get("ROUTER_APPLICATION_ID", topics(settings).prefix() + "-router");
    }

    /**
     * Waits until the router is RUNNING. Returns false when {@code timeout} passes first or when the router stops or
     * fails while waiting (it will not become RUNNING then).
     */
    public boolean awaitRunning(final Duration timeout) throws InterruptedException {
        return runState.awaitRunning(timeout);
    }

    /** Stops the router, waiting up to {@code timeout}; true when it stopped in time. */
    public boolean close(final Duration timeout) {
        // Leave the group: the router holds no task state worth keeping its partitions for, and staying would leave
        // them unprocessed until the session times out (45 s by default) when this instance restarts or scales down.
        final boolean stopped = streams.close(CloseOptions.timeout(timeout)
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        routeTopics.close();
        if (!stopped) {
            LOG.warn("router did not stop within {}", timeout);
        }
        return stopped;
    }

    @Override
    public void close() {
        close(CLOSE_TIMEOUT);
    }
}
