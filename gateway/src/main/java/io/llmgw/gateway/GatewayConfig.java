package io.llmgw.gateway;

import io.llmgw.schemas.Topics;
import io.llmgw.settings.Settings;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Settings of one gateway instance, parsed once from {@link Settings}.
 *
 * @param host            {@code GATEWAY_HOST}, default {@code 0.0.0.0}
 * @param port            {@code GATEWAY_PORT}, default 8000; 0 picks a free port
 * @param apiKeys         {@code GATEWAY_API_KEYS}, comma-separated bearer keys; empty accepts any caller
 * @param maxBodyBytes    {@code GATEWAY_MAX_BODY_BYTES}, default {@value #DEFAULT_MAX_BODY_BYTES}: a request travels
 *                        as one Kafka record, and Kafka refuses records over 1 MiB unless the broker's
 *                        {@code message.max.bytes} and the producer's {@code max.request.size}
 *                        ({@code KAFKA_MAX_REQUEST_SIZE}) are raised with it
 * @param requestTimeout  {@code GATEWAY_REQUEST_TIMEOUT} in seconds, default 600: every request's deadline
 * @param publishTimeout  {@code GATEWAY_PUBLISH_TIMEOUT} in seconds, default 10: how long a produce may take before
 *                        the client gets 503
 * @param sseKeepAlive    {@code GATEWAY_SSE_KEEPALIVE} in seconds, default 15: a comment line on quiet streams, so
 *                        that a client that went away is noticed (and its request cancelled) between chunks
 * @param replyPartitions {@code GATEWAY_REPLY_PARTITIONS} ({@code 0-2,5}); empty means every events partition
 * @param gatewayId       {@code GATEWAY_ID}, default host name plus a short random suffix
 * @param topics          topic names under {@code TOPIC_PREFIX} (default {@code llm})
 * @param resultRetention {@code GATEWAY_RESULT_RETENTION} in seconds, default 3600: how long a finished request's
 *                        status and result stay available at {@code GET /v1/requests/{id}}
 * @param advertisedHost  {@code GATEWAY_ADVERTISED_HOST}: the host other gateway instances reach this one at, to
 *                        forward {@code /v1/requests} lookups; default {@code GATEWAY_HOST}, or this machine's
 *                        address when that is a wildcard
 * @param maxFollowers    {@code GATEWAY_MAX_FOLLOWERS}, default {@value #DEFAULT_MAX_FOLLOWERS}: how many clients may
 *                        follow {@code /v1/requests/{id}/events} at once on this instance (each costs a Kafka
 *                        consumer); more get 429
 */
public record GatewayConfig(
        String host,
        int port,
        Set<String> apiKeys,
        long maxBodyBytes,
        Duration requestTimeout,
        Duration publishTimeout,
        Duration sseKeepAlive,
        Optional<ReplyPartitions> replyPartitions,
        String gatewayId,
        Topics topics,
        Duration resultRetention,
        String advertisedHost,
        int maxFollowers) {

    public static final String HOST = "GATEWAY_HOST";
    public static final String PORT = "GATEWAY_PORT";
    public static final String API_KEYS = "GATEWAY_API_KEYS";
    public static final String MAX_BODY_BYTES = "GATEWAY_MAX_BODY_BYTES";
    public static final String REQUEST_TIMEOUT = "GATEWAY_REQUEST_TIMEOUT";
    public static final String PUBLISH_TIMEOUT = "GATEWAY_PUBLISH_TIMEOUT";
    public static final String SSE_KEEPALIVE = "GATEWAY_SSE_KEEPALIVE";
    public static final String REPLY_PARTITIONS = "GATEWAY_REPLY_PARTITIONS";
    public static final String GATEWAY_ID = "GATEWAY_ID";
    public static final String TOPIC_PREFIX = "TOPIC_PREFIX";
    public static final String RESULT_RETENTION = "GATEWAY_RESULT_RETENTION";
    public static final String ADVERTISED_HOST = "GATEWAY_ADVERTISED_HOST";
    public static final String MAX_FOLLOWERS = "GATEWAY_MAX_FOLLOWERS";
    public static final int DEFAULT_MAX_FOLLOWERS = 64;

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8000;
    /** 1,000,000 bytes: with the envelope around it, a request still fits Kafka's default 1 MiB record limit. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1_000_000;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(600);
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_SSE_KEEPALIVE = Duration.ofSeconds(15);
    public static final Duration DEFAULT_RESULT_RETENTION = Duration.ofHours(1);

    public GatewayConfig {
        apiKeys = Set.copyOf(apiKeys);
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(PORT + " must be 0-65535: " + port);
        }
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException(MAX_BODY_BYTES + " must be positive: " + maxBodyBytes);
        }
        requirePositive(REQUEST_TIMEOUT, requestTimeout);
        requirePositive(PUBLISH_TIMEOUT, publishTimeout);
        requirePositive(SSE_KEEPALIVE, sseKeepAlive);
        requirePositive(RESULT_RETENTION, resultRetention);
        if (maxFollowers < 0) {
            throw new IllegalArgumentException(MAX_FOLLOWERS + " cannot be negative: " + maxFollowers);
        }
        if (advertisedHost == null || advertisedHost.isBlank()) {
            throw new IllegalArgumentException(ADVERTISED_HOST + " must not be empty");
        }
    }

    /** Reads the gateway's settings; throws {@link IllegalArgumentException} naming the variable that is wrong. */
    public static GatewayConfig from(final Settings settings) {
        final String host = settings.get(HOST, DEFAULT_HOST);
        return new GatewayConfig(
                host,
                settings.getInt(PORT, DEFAULT_PORT),
                new LinkedHashSet<>(settings.getList(API_KEYS)),
                settings.getLong(MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES),
                settings.getSeconds(REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT),
                settings.getSeconds(PUBLISH_TIMEOUT, DEFAULT_PUBLISH_TIMEOUT),
                settings.getSeconds(SSE_KEEPALIVE, DEFAULT_SSE_KEEPALIVE),
                settings.get(REPLY_PARTITIONS).map(GatewayConfig::replyPartitions),
                settings.get(GATEWAY_ID).orElseGet(GatewayConfig::defaultGatewayId),
                new Topics(settings.get(TOPIC_PREFIX, Topics.DEFAULT_PREFIX)),
                settings.getSeconds(RESULT_RETENTION, DEFAULT_RESULT_RETENTION),
                settings.get(ADVERTISED_HOST).orElseGet(() -> reachableHost(host)),
                settings.getInt(MAX_FOLLOWERS, DEFAULT_MAX_FOLLOWERS));
    }

    /** Like the record's own, but never prints the API keys, only how many there are. */
    @Override
    public String toString() {
        return "GatewayConfig[host=" + host + ", port=" + port + ", apiKeys=" + apiKeys.size() + " key(s)"
                + ", maxBodyBytes=" + maxBodyBytes + ", requestTimeout=" + requestTimeout
                + ", publishTimeout=" + publishTimeout + ", sseKeepAlive=" + sseKeepAlive
                + ", replyPartitions=" + replyPartitions.map(ReplyPartitions::toString).orElse("all")
                + ", gatewayId=" + gatewayId + ", topics=" + topics.prefix()
                + ", resultRetention=" + resultRetention + ", advertisedHost=" + advertisedHost
                + ", maxFollowers=" + maxFollowers + "]";
    }

    private static ReplyPartitions replyPartitions(final String spec) {
        try {
            return ReplyPartitions.parse(spec);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException(REPLY_PARTITIONS + " has an invalid value: " + e.getMessage(), e);
        }
    }

    private static void requirePositive(final String name, final Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive number of seconds: " + value);
        }
    }

    /** Host name plus 6 random hex digits: two gateways on one host (or one restarted) never share an id. */
    private static String defaultGatewayId() {
        final byte[] suffix = new byte[3];
        new SecureRandom().nextBytes(suffix);
        return hostName() + "-" + HexFormat.of().formatHex(suffix);
    }

    /** A bind address other machines can use: itself, unless it is a wildcard; then this machine's address. */
    private static String reachableHost(final String bindHost) {
        if (!"0.0.0.0".equals(bindHost) && !"::".equals(bindHost) && !"[::]".equals(bindHost)) {
            return bindHost;
        }
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (final UnknownHostException e) {
            return "127.0.0.1";
        }
    }

    private static String hostName() {
        final String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (final UnknownHostException e) {
            return "gateway";
        }
    }
}
