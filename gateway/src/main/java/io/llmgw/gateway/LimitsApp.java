package io.llmgw.gateway;

import io.llmgw.runtime.ProcessFailure;
import io.llmgw.runtime.StreamsRunState;
import io.llmgw.settings.Settings;
import io.llmgw.settings.StreamsProps;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;

/**
 * The running limits app of one gateway instance ({@link LimitsTopology} in Kafka Streams, group
 * {@code <prefix>-gateway-limits}): this instance owns the counters of the keys whose partitions it was assigned.
 *
 * <p>Its store is in memory and rebuilt from its changelog, so it needs no state of its own on disk between runs.
 */
public final class LimitsApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LimitsApp.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    /**
     * The stream thread's poll: a reservation that arrives while it waits ends the poll at once (Kafka's default of
     * 100 ms bought the same round trip as 10 or 1 here, KAFKA-LOCAL.md), and a shorter one costs every gateway an
     * idle loop every few milliseconds whether its keys have limits or not.
     */
    static final int POLL_MS = 100;

    private final KafkaStreams streams;
    private volatile boolean hasRun;

    private LimitsApp(final KafkaStreams streams) {
        this.streams = streams;
    }

    /** Starts the limits app; returns without waiting for it to be RUNNING. */
    public static LimitsApp start(final Settings settings, final GatewayConfig config, final ProcessFailure failure) {
        final KafkaStreams streams = new KafkaStreams(LimitsTopology.build(config.topics()),
                streamsProperties(settings, config));
        StreamsRunState.watch(streams, "the limits app of gateway " + config.gatewayId(), LOG, failure);
        final LimitsApp app = new LimitsApp(streams);
        streams.start();
        return app;
    }

    static Properties streamsProperties(final Settings settings, final GatewayConfig config) {
        final StreamsProps props = StreamsProps.forApp(settings, config.topics().prefix() + "-gateway-limits")
                .threads(1)
                .stateDir(StreamsProps.stateRoot(settings).resolve("gateway-limits-" + config.gatewayId()))
                .set(StreamsConfig.CLIENT_ID_CONFIG, "llmgw-gateway-limits-" + config.gatewayId())
                .set(StreamsConfig.POLL_MS_CONFIG, POLL_MS)
                // a task reads two topics; it must not hold a reservation back to wait for the other one's data
                // (their relative order does not matter: a settlement is correct whenever it comes)
                .set(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
        settings.get(GatewayConfig.GATEWAY_ID).ifPresent(id ->
                props.consumer(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "llmgw-limits-" + id));
        return props.consumer(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, RequestResults.SESSION_TIMEOUT_MS)
                .toProperties();
    }

    KafkaStreams kafkaStreams() {
        return streams;
    }

    /** True once the app has been RUNNING and while it runs or rebalances since (as {@link RequestResults}). */
    public boolean isServing() {
        final KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.RUNNING) {
            hasRun = true;
        }
        return hasRun && state.isRunningOrRebalancing();
    }

    @Override
    public void close() {
        // leave the group: another gateway owns these keys' counters now, not after the session timeout
        streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
}
