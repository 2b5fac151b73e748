package io.llmgw.gateway;

import io.llmgw.runtime.ClusterProbe;
import io.llmgw.runtime.ProcessFailure;
import io.javalin.Javalin;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import io.llmgw.settings.TopicAdmin;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running gateway: topics ensured, reply consumer, model directory, producer, HTTP server and the request
 * results (its own Kafka Streams app behind {@code /v1/requests}). The launcher and
 * end-to-end tests start it with {@link #start(Settings)} ({@code GATEWAY_PORT=0} picks a free port, see
 * {@link #port()}) and stop it with {@link #close()}.
 */
public final class GatewayServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);
    /** How long a forwarded {@code /v1/requests} lookup may take at the instance that holds the request. */
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration END_OFFSET_TIMEOUT = Duration.ofSeconds(1);
    /** How often a batch's run writes its counts to the batch's record (what {@code GET /v1/batches/{id}} shows). */
    private static final Duration BATCH_PROGRESS = Duration.ofSeconds(1);
    /** How long a cancelled or expired batch waits for its published lines' ends before it writes its files. */
    private static final Duration BATCH_CANCEL_GRACE = Duration.ofSeconds(30);

    private final GatewayConfig config;
    private final ReplyClaims claims;
    private final List<AutoCloseable> resources;
    private final ClusterProbe probe;
    private final KafkaRequestPublisher publisher;
    private final ReplyConsumer replyConsumer;
    private final ModelDirectory models;
    private final KeyDirectory keys;
    private final LimitReservations reservations;
    private final LimitsApp limits;
    private final PendingReplies pending;
    private final Javalin http;
    private final RequestResults results;
    private final ProcessFailure failure;
    private final FileStore files;
    private final BatchDirectory batches;
    private final BatchDriver batchDriver;
    private final ClaimsGroup batchOwners;
    private volatile boolean closing;

    private GatewayServer(final Settings settings, final GatewayConfig config, final List<AutoCloseable> resources,
                          final PrometheusMeterRegistry registry, final ProcessFailure failure) {
        this.config = config;
        this.failure = failure;
        this.resources = resources;
        final Topics topics = config.topics();
        final TopicAdmin.TopicLayout layout = TopicAdmin.TopicLayout.from(settings);
        final LimitsConfig limitsConfig = LimitsConfig.from(settings);
        final List<TopicAdmin.Spec> needed = new ArrayList<>(TopicAdmin.coreTopics(topics, layout));
        needed.addAll(TopicAdmin.limitTopics(topics, limitsConfig.partitions()));
        needed.addAll(TopicAdmin.batchTopics(topics, layout));
        TopicAdmin.ensure(KafkaClientProps.common(settings), layout, needed, KAFKA_TIMEOUT);

        this.probe = opened(new ClusterProbe(Admin.create(KafkaClientProps.common(settings))));
        final int eventPartitions = partitionCount(probe.admin(), topics.events().name());
        // GATEWAY_REPLY_PARTITIONS overrides the claims group: then this instance holds exactly those, as before
        this.claims = opened(config.replyPartitions()
                .map(partitions -> ReplyClaims.fixed(partitions.checkAgainst(eventPartitions)))
                .orElseGet(() -> ClaimsGroup.start(settings, config, failure)));

        this.pending = new PendingReplies(id -> RequestIdMint.partitionOf(id, eventPartitions));
        this.publisher = opened(KafkaRequestPublisher.create(settings, config));
        this.replyConsumer = opened(ReplyConsumer.start(settings, config, claims, pending, failure));
        this.models = opened(ModelDirectory.start(settings, config, failure));
        this.keys = opened(KeyDirectory.start(settings, config, failure));
        this.reservations = opened(LimitReservations.start(settings, config, limitsConfig, failure));
        this.limits = opened(LimitsApp.start(settings, config, failure));
        final KeyNames keyNames = new KeyNames(keys, !config.apiKeys().isEmpty());

        opened(new KafkaClientMetrics(publisher.producer())).bindTo(registry);
        opened(new KafkaClientMetrics(replyConsumer.consumer())).bindTo(registry);
        final GatewayMetrics metrics = new GatewayMetrics(registry);
        metrics.gaugePending(pending::size);
        metrics.countReplyRecords("delivered", replyConsumer::delivered);
        metrics.countReplyRecords("ignored", replyConsumer::ignored);
        metrics.countReplyRecords("unreadable", replyConsumer::unreadable);
        metrics.countUnreadable(topics.events().name(), "gateway-replies", replyConsumer::unreadable);
        metrics.countUnreadable(topics.models().name(), "gateway-models", models::unreadable);
        metrics.countUnreadable(topics.keys().name(), "gateway-keys", keys::unreadable);
        metrics.countUnreadable(topics.limitDecisions().name(), "gateway-limit-decisions", reservations::unreadable);
        opened(new KafkaStreamsMetrics(limits.kafkaStreams())).bindTo(registry);
        final HttpClient peers = opened(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(PEER_TIMEOUT).build());
        final RequestLocator locator = new RequestLocator(peers, PEER_TIMEOUT, config.gatewayId());
        // the one key check of this instance, shared by every route that needs one
        final BearerAuth auth = new BearerAuth(config.apiKeys(), keys, java.time.Clock.systemUTC());
        final BatchConfig batchConfig = BatchConfig.from(settings);
        this.files = opened(FileStore.start(settings, config, failure));
        this.batches = opened(BatchDirectory.start(settings, config, failure));
        metrics.countUnreadable(topics.files().name(), "gateway-files", files::unreadable);
        metrics.countUnreadable(topics.batches().name(), "gateway-batches", batches::unreadable);
        final BatchServices batchServices = new BatchServices(batches, files, publisher, new RequestValidator(models),
                models, () -> eventsReader(settings, config), topics.events().name(), eventPartitions,
                config.gatewayId(), batchConfig.window(), BATCH_PROGRESS, BATCH_CANCEL_GRACE,
                java.time.Clock.systemUTC(), new BatchMetrics(registry, batches), keys);
        final ClaimsGroup[] owners = new ClaimsGroup[1];
        this.batchDriver = opened(new BatchDriver(batchServices, () -> owners[0] == null ? Set.of() : owners[0].held(),
                partitionCount(probe.admin(), topics.batches().name()), failure));
        this.batchOwners = opened(ClaimsGroup.startBatchOwners(settings, config, failure, batchDriver::givenUp));
        owners[0] = batchOwners;
        batchDriver.start();
        this.http = new GatewayHttp(config, models, publisher, pending,
                new RequestIdMint(replyConsumer::stampable, eventPartitions),
                () -> !closing && !failure.hasFailed() && replyConsumer.isReady(),
                this::checks, metrics, locator, KafkaEventLog.create(settings, config), auth,
                new LimitGate(reservations, limitsConfig, metrics), keyNames,
                new BatchApi(new FilesHandler(files, auth, batchConfig.maxFileBytes(), batchConfig.maxFileLines()),
                        new BatchesHandler(batches, files, auth, java.time.Clock.systemUTC(),
                                batchConfig.completionWindow()), batchConfig))
                .create();
        http.start(config.host(), config.port());
        // started after the server listens: its interactive-query address is this instance's actual HTTP port
        try {
            final String events = topics.events().name();
            this.results = opened(RequestResults.start(settings, config, http.port(), failure,
                    partition -> endOffset(probe.admin(), events, partition), eventPartitions, keyNames,
                    metrics::recordUsage));
            opened(new KafkaStreamsMetrics(results.kafkaStreams())).bindTo(registry);
        } catch (final RuntimeException e) {
            http.stop();
            throw e;
        }
        locator.attach(results);
    }

    /**
     * Ensures the core topics, starts the Kafka clients and the HTTP server. Returns once the server listens; Kafka
     * readiness follows shortly after (see {@link #awaitReady(Duration)}).
     *
     * @throws IllegalArgumentException for invalid settings
     * @throws IllegalStateException    when Kafka cannot be reached or the server cannot start
     */
    public static GatewayServer start(final Settings settings) {
        return start(settings, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /**
     * Like {@link #start(Settings)}, with the gateway's meters (and its Kafka clients' metrics) in {@code registry},
     * which {@code /metrics} serves: the launcher passes the process's registry, with JVM metrics bound to it.
     */
    public static GatewayServer start(final Settings settings, final PrometheusMeterRegistry registry) {
        return start(settings, registry, ProcessFailure.process());
    }

    /** Like {@link #start(Settings, PrometheusMeterRegistry)}, its internal loops reporting to {@code failure}. */
    public static GatewayServer start(final Settings settings, final PrometheusMeterRegistry registry,
                                      final ProcessFailure failure) {
        final GatewayConfig config = GatewayConfig.from(settings);
        if (config.apiKeys().isEmpty()) {
            LOG.warn("{} is not set: until a key is created with ./llmgw keys create, the gateway accepts requests"
                    + " with any API key, or none", GatewayConfig.API_KEYS);
        }
        final List<AutoCloseable> resources = new ArrayList<>();
        try {
            final GatewayServer server = new GatewayServer(settings, config, resources, registry, failure);
            LOG.info("gateway {} listening on http://{}:{} (reply partitions {} of {}; {} static API keys, managed"
                    + " keys from {})", config.gatewayId(), config.host(), server.port(), server.claims,
                    config.topics().events().name(), config.apiKeys().size(), config.topics().keys().name());
            return server;
        } catch (final RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    /** The port the HTTP server listens on (the chosen one when {@code GATEWAY_PORT=0}). */
    public int port() {
        return http.port();
    }

    public GatewayConfig config() {
        return config;
    }

    /** The reply partitions this instance may stamp on new requests now (held and positioned). */
    public Set<Integer> replyPartitions() {
        return replyConsumer.stampable();
    }

    /**
     * True when Kafka answers, the reply consumer is positioned, the model directory has loaded and the request
     * results run.
     */
    public boolean isReady() {
        return checks().values().stream().allMatch(Boolean::booleanValue);
    }

    /**
     * Waits until {@link #isReady()} or the timeout.
     *
     * @return whether the gateway became ready in time
     */
    public boolean awaitReady(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!isReady()) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            // polling: one condition is a network probe, which has no change event to wait on
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
        }
        return true;
    }

    /**
     * Stops accepting requests, ends the waiting ones with 503 (and cancels their work), stops the HTTP server and
     * closes the Kafka clients.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        final int abandoned = stopServing(pending, publisher, http);
        closeAll(resources);
        LOG.info("gateway {} stopped ({} waiting request(s) cancelled)", config.gatewayId(), abandoned);
    }

    /**
     * The first half of a stop, before the Kafka clients close: every waiting client gets a 503 and its request a
     * cancel (nobody will read its answer), then the HTTP server lets answers in progress finish and stops.
     * Returns how many requests were abandoned.
     */
    static int stopServing(final PendingReplies pending, final RequestPublisher publisher, final Javalin http) {
        final List<String> abandoned = pending.failAll(ApiError.unavailable(
                "The gateway is shutting down; the request was cancelled. Please retry."));
        final long now = System.currentTimeMillis();
        abandoned.forEach(id -> publisher.cancel(new CancelCommand(id, CancelReason.GATEWAY_SHUTDOWN, now)));
        http.stop();
        return abandoned.size();
    }

    /** Where this gateway's internal loops report a fatal failure. */
    public ProcessFailure failure() {
        return failure;
    }

    private Map<String, Boolean> checks() {
        final Map<String, Boolean> checks = new LinkedHashMap<>();
        // false once an internal loop died: /health turns 503 too, and the launcher exits
        checks.put(GatewayHttp.ALIVE_CHECK, !failure.hasFailed());
        checks.put("accepting", !closing);
        checks.put("kafka", probe.reachable());
        // no request before this instance holds a partition it reads: nothing to stamp on it otherwise
        checks.put("replies", claims.isAlive() && replyConsumer.isReady());
        checks.put("models", models.isLoaded());
        checks.put("keys", keys.isLoaded());
        // the counters of limited keys are owned and their answers heard: a limited key is not refused with 503
        checks.put("limits", limits.isServing() && reservations.isReady());
        checks.put("results", results != null && results.isServing());
        // files and batches loaded, and the driver and its group alive (a dead one has failed the process already)
        checks.put("batches", files.isLoaded() && batches.isLoaded() && batchDriver.isAlive() && batchOwners.isAlive());
        return checks;
    }

    private <T extends AutoCloseable> T opened(final T resource) {
        resources.add(resource);
        return resource;
    }

    private static void closeAll(final List<AutoCloseable> resources) {
        // last opened, first closed: the consumers stop before the producer and the admin client they may use
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (final Exception e) {
                LOG.warn("closing {} failed: {}", resources.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        resources.clear();
    }

    /** The end offset of one partition, asked of the broker now; -1 when it does not answer within a second. */
    private static long endOffset(final Admin admin, final String topic, final int partition) {
        final TopicPartition tp = new TopicPartition(topic, partition);
        try {
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp)
                    .get(END_OFFSET_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (final ExecutionException | TimeoutException e) {
            LOG.debug("cannot tell the end of {}: {}", tp, e.toString());
            return -1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** A consumer of the events topic without a group, for one batch run (which closes it). */
    private static org.apache.kafka.clients.consumer.Consumer<String, byte[]> eventsReader(final Settings settings,
                                                                                        final GatewayConfig config) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.put(org.apache.kafka.clients.consumer.ConsumerConfig.CLIENT_ID_CONFIG, "llmgw-batch-events-"
                + config.gatewayId() + "-" + Long.toHexString(System.nanoTime()));
        props.put(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        return new org.apache.kafka.clients.consumer.KafkaConsumer<>(props,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer());
    }

    private static int partitionCount(final Admin admin, final String topic) {
        try {
            final TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic);
            return description.partitions().size();
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot describe " + topic + ": " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + topic, e);
        }
    }
}
