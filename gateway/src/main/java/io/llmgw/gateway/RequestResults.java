package io.llmgw.gateway;

import io.llmgw.runtime.ProcessFailure;
import io.llmgw.runtime.StreamsRunState;
import io.llmgw.settings.Settings;
import io.llmgw.settings.StreamsProps;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The running results app of one gateway instance ({@link RequestResultsTopology} in Kafka Streams), and the local
 * half of an interactive query: which instance holds a request, and what this one holds.
 *
 * <p>Every gateway joins the consumer group {@code <prefix>-gateway-results}; {@code application.server} is this
 * instance's HTTP address ({@code GATEWAY_ADVERTISED_HOST} and the HTTP port), which is what the metadata names to the
 * others. State lives under {@code STATE_DIR/gateway-<GATEWAY_ID>}; without a fixed {@code GATEWAY_ID} it is deleted on
 * close and restored from the changelog at the next start.
 */
public final class RequestResults implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RequestResults.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    /** The broker's default minimum is 6 s; 10 s leaves room for a slow heartbeat on a busy machine. */
    static final int SESSION_TIMEOUT_MS = 10_000;

    /** How long a lookup of an unfinished request waits for the results to catch up with the events topic. */
    static final Duration CATCH_UP = Duration.ofSeconds(2);
    /**
     * How long a lookup waits out a rebalance before it answers 503: a gateway that joins or restarts makes every
     * results instance rebalance for a few milliseconds (CI saw one of 7 ms right after a restarted gateway's
     * /ready), and a client should not see that as an outage.
     */
    static final Duration REBALANCE_GRACE = Duration.ofSeconds(2);
    /** While RUNNING but not yet answering (metadata lags the state by a moment), how often to look again. */
    private static final Duration RETRY_SLICE = Duration.ofMillis(50);

    private final KafkaStreams streams;
    private final StreamsRunState runState;
    private final ResultsProgress progress;
    private final EndOffsets ends;
    private final HostInfo self;
    private final String eventsTopic;
    private final int eventPartitions;
    private final Path stateDir;
    private final boolean ephemeralState;
    private volatile boolean hasRun;

    /** The end offset of an events partition now; -1 when it cannot be told. */
    @FunctionalInterface
    interface EndOffsets {
        long of(int partition);
    }

    private RequestResults(final KafkaStreams streams, final StreamsRunState runState, final ResultsProgress progress,
                           final EndOffsets ends, final HostInfo self, final String eventsTopic,
                           final int eventPartitions, final Path stateDir, final boolean ephemeralState) {
        this.streams = streams;
        this.runState = runState;
        this.progress = progress;
        this.ends = ends;
        this.self = self;
        this.eventsTopic = eventsTopic;
        this.eventPartitions = eventPartitions;
        this.stateDir = stateDir;
        this.ephemeralState = ephemeralState;
    }

    /**
     * Starts the results app of the {@code eventPartitions} partitions of the events topic, naming keys in usage
     * records with {@code names}, each shown to {@code written}; returns without waiting for it to be RUNNING.
     */
    static RequestResults start(final Settings settings, final GatewayConfig config, final int httpPort,
                                final ProcessFailure failure, final EndOffsets ends, final int eventPartitions,
                                final KeyNames names,
                                final java.util.function.Consumer<io.llmgw.limits.UsageRecord> written) {
        final HostInfo self = new HostInfo(config.advertisedHost(), httpPort);
        final Path stateDir = StreamsProps.stateRoot(settings).resolve("gateway-" + config.gatewayId());
        final Properties props = streamsProperties(settings, config, self, stateDir);
        final ResultsProgress progress = new ResultsProgress();
        final KafkaStreams streams = new KafkaStreams(
                RequestResultsTopology.build(config.topics(), config.resultRetention(), progress, names, written),
                props);
        // dead threads are replaced within limits; the app ending in ERROR is reported and brings the process down
        final StreamsRunState runState = StreamsRunState.watch(streams, "the request results of gateway "
                + config.gatewayId(), LOG, failure);
        final RequestResults results = new RequestResults(streams, runState, progress, ends, self,
                config.topics().events().name(), eventPartitions, stateDir,
                settings.get(GatewayConfig.GATEWAY_ID).isEmpty());
        streams.start();
        LOG.info("request results of gateway {} at {}:{} (retention {} s)", config.gatewayId(), self.host(),
                self.port(), config.resultRetention().toSeconds());
        return results;
    }

    /** Results fetches wait for this much data (or {@link #RESULTS_FETCH_MAX_WAIT_MS}): events come in batches. */
    static final int RESULTS_FETCH_MIN_BYTES = 64 * 1024;
    static final int RESULTS_FETCH_MAX_WAIT_MS = 100;
    /** The store cache: a second of states at 1,000 requests/s of a few KiB each, flushed at every commit. */
    static final long RESULTS_CACHE_BYTES = 16L * 1024 * 1024;

    /** The Streams configuration {@link #start} uses: the shared defaults and the results app's own. */
    static Properties streamsProperties(final Settings settings, final GatewayConfig config, final HostInfo self,
                                        final Path stateDir) {
        final StreamsProps props = StreamsProps.forApp(settings, config.topics().prefix() + "-gateway-results")
                .threads(1)
                .stateDir(stateDir)
                .set(StreamsConfig.CLIENT_ID_CONFIG, "llmgw-gateway-results-" + config.gatewayId())
                .set(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        // A fixed GATEWAY_ID makes the instance a static member (KIP-345): restarted with the same id it takes its
        // partitions back at once, without waiting for the dead member's session or a rebalance, so lookups answer
        // within seconds of /ready. A shorter session lets the others take over sooner from one that stays dead.
        // Off the latency path (the reply consumer answers clients), so it takes events in batches: a fetch waits up
        // to 100 ms for 64 KiB instead of returning for each event, and the store is cached, so that the changelog
        // gets a request's last state once per commit instead of every state it passed through (queued, running,
        // completed). Lookups still see every update: interactive queries read through the cache, and a crash before
        // the cache is flushed loses nothing, because the events' offsets are committed only after that flush.
        props.set(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), RESULTS_FETCH_MIN_BYTES)
                .set(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), RESULTS_FETCH_MAX_WAIT_MS)
                .set(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, RESULTS_CACHE_BYTES);
        settings.get(GatewayConfig.GATEWAY_ID).ifPresent(id ->
                props.consumer(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "llmgw-results-" + id));
        return props.consumer(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS).toProperties();
    }

    /** The Streams instance, for metrics binders; its lifecycle stays with this object. */
    KafkaStreams kafkaStreams() {
        return streams;
    }

    /** True while the app runs or rebalances. */
    public boolean isAlive() {
        return streams.state().isRunningOrRebalancing();
    }

    /**
     * True once lookups have answered (the app RUNNING, every events partition owned by an instance a lookup can be
     * sent to, and this instance's store queryable) and while the app runs or rebalances since. A rebalance later
     * does not make the gateway unready, or every gateway would leave its load balancer whenever one of them joins.
     */
    public boolean isServing() {
        final KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.RUNNING && !hasRun) {
            hasRun = lookupsAnswer();
        }
        return hasRun && state.isRunningOrRebalancing();
    }

    /**
     * What a lookup needs, asked of the same metadata and store a lookup uses: RUNNING alone came up to 2.8 s before
     * a restarted instance's lookups stopped answering "being rebalanced".
     */
    private boolean lookupsAnswer() {
        try {
            final Set<Integer> owned = new HashSet<>();
            boolean holdsAny = false;
            for (final StreamsMetadata client : streams.metadataForAllStreamsClients()) {
                final List<Integer> partitions = client.topicPartitions().stream()
                        .filter(partition -> partition.topic().equals(eventsTopic)).map(TopicPartition::partition)
                        .toList();
                owned.addAll(partitions);
                holdsAny |= self.equals(client.hostInfo()) && !partitions.isEmpty();
            }
            if (owned.size() < eventPartitions) {
                return false;
            }
            if (holdsAny) {
                // an instance that holds nothing yet (a newcomer warming up) answers every lookup by forwarding it
                streams.store(StoreQueryParameters.fromNameAndType(RequestResultsTopology.STORE,
                        QueryableStoreTypes.<String, byte[]>keyValueStore()));
            }
            return true;
        } catch (final InvalidStateStoreException | IllegalStateException e) {
            return false;
        }
    }

    /**
     * Where request {@code id} is kept, and what this instance knows of it when it is kept here. A lookup that meets
     * a rebalance (or a restore) waits for it, at most {@link #REBALANCE_GRACE}, before it says so.
     */
    RequestDirectory.Lookup lookup(final String id) {
        final long deadline = System.nanoTime() + REBALANCE_GRACE.toNanos();
        RequestDirectory.Lookup lookup = lookupOnce(id);
        try {
            while (lookup instanceof RequestDirectory.Lookup.Unavailable && hasRun
                    && streams.state().isRunningOrRebalancing()) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                if (streams.state() == KafkaStreams.State.RUNNING) {
                    runState.awaitChange(Duration.ofNanos(Math.min(left, RETRY_SLICE.toNanos())));
                } else {
                    runState.awaitRunning(Duration.ofNanos(left));
                }
                lookup = lookupOnce(id);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return lookup;
    }

    private RequestDirectory.Lookup lookupOnce(final String id) {
        final KeyQueryMetadata metadata;
        try {
            metadata = streams.queryMetadataForKey(RequestResultsTopology.STORE, id, Serdes.String().serializer());
        } catch (final InvalidStateStoreException | IllegalStateException e) {
            return new RequestDirectory.Lookup.Unavailable("the request results are not running yet");
        }
        if (metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
            return new RequestDirectory.Lookup.Unavailable("the request results are being rebalanced");
        }
        final HostInfo owner = metadata.activeHost();
        if (!self.equals(owner)) {
            return new RequestDirectory.Lookup.Elsewhere(owner.host(), owner.port());
        }
        try {
            final ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters
                    .fromNameAndType(RequestResultsTopology.STORE, QueryableStoreTypes.<String, byte[]>keyValueStore())
                    .withPartition(metadata.partition()));
            final RequestState state = read(store, id);
            if (state != null && state.status().isFinal()) {
                return new RequestDirectory.Lookup.Found(state);
            }
            // unfinished or unknown here: maybe only because the results lag the events a client has already seen
            return found(catchUp(metadata.partition()) ? read(store, id) : state);
        } catch (final InvalidStateStoreException e) {
            return new RequestDirectory.Lookup.Unavailable("the request results are being restored");
        }
    }

    /**
     * Waits (at most {@link #CATCH_UP}) until the results have read {@code partition} up to its end as of now; true
     * when it waited for anything, so that the store is worth reading again.
     */
    private boolean catchUp(final int partition) {
        final long end = ends.of(partition);
        if (end <= 0) {
            return false;
        }
        try {
            if (!progress.awaitReached(partition, end, CATCH_UP)) {
                LOG.debug("results of events partition {} did not reach offset {} within {}", partition, end, CATCH_UP);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    private static RequestState read(final ReadOnlyKeyValueStore<String, byte[]> store, final String id) {
        final byte[] bytes = store.get(id);
        return bytes == null ? null : RequestResultsTopology.decode(bytes);
    }

    private static RequestDirectory.Lookup found(final RequestState state) {
        return state == null ? new RequestDirectory.Lookup.Missing() : new RequestDirectory.Lookup.Found(state);
    }

    @Override
    public void close() {
        // leave the group: the other gateways take the results over now, not after the session timeout
        final boolean stopped = streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        if (stopped && ephemeralState) {
            streams.cleanUp();
            deleteQuietly(stateDir);
        }
    }

    private static void deleteQuietly(final Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (final IOException e) {
            LOG.debug("cannot delete {}", dir, e);
        }
    }
}
