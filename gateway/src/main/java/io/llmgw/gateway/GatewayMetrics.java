package io.llmgw.gateway;

import io.llmgw.limits.LimitDecision;
import io.llmgw.limits.UsageRecord;
import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Endpoint;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The gateway's Prometheus metrics. Their names and tags are listed once, in the README's Metrics table, which
 * {@code OpsIT} checks against what {@code /metrics} exports.
 */
public final class GatewayMetrics {

    /** Stands in for the model tag when the request never named a known model, so bad input cannot add series. */
    static final String NO_MODEL = "none";

    private final PrometheusMeterRegistry registry;
    /**
     * A function counter holds its object weakly: a supplier nobody else references would be collected, and the
     * counter would report its last value (0) for ever after. These stay as long as the metrics do.
     */
    private final List<Supplier<Number>> counted = new CopyOnWriteArrayList<>();

    /** Meters in a registry of their own. */
    public GatewayMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Meters in the process's registry, which then also serves JVM and Kafka client metrics on {@code /metrics}. */
    public GatewayMetrics(final PrometheusMeterRegistry registry) {
        this.registry = registry;
        // registered up front: a gateway whose keys have no limits still shows that it checked none
        limitChecks();
        limitsUnavailable();
        for (final LimitDecision.RefusedBy limit : LimitDecision.RefusedBy.values()) {
            limitRefusals(limit);
        }
    }

    /**
     * {@code llmgw_gateway_limit_check_seconds}: the round trip of one reservation (send to the key's owner, its
     * answer read back), a summary with p50 and p99 computed here, because this is the number a limit costs each
     * request of a limited key, and it is a millisecond or two: the latency histograms' buckets start at 5 ms (and a
     * timer with buckets exports no quantiles), so it is a summary in seconds instead.
     */
    public void recordLimitCheck(final Duration elapsed) {
        limitChecks().record(elapsed.toNanos() / 1e9);
    }

    /** A request of a limited key refused by {@code limit}; per key, {@code llmgw_key_requests_total} has status 429. */
    public void recordLimitRefusal(final LimitDecision.RefusedBy limit) {
        limitRefusals(limit).increment();
    }

    /** A reservation that got no answer in time ({@code GATEWAY_LIMITS_UNAVAILABLE} decided). */
    public void recordLimitsUnavailable() {
        limitsUnavailable().increment();
    }

    /**
     * {@code llmgw_key_requests_total{key,status}}: every answer this gateway gave, by key name ({@link KeyNames}:
     * managed names, {@code static}, {@code none}; never a secret) and status, refusals included.
     */
    public void recordKeyRequest(final String keyName, final int status) {
        Counter.builder("llmgw.key.requests")
                .description("Requests answered, by API key name and status")
                .tag("key", keyName)
                .tag("status", Integer.toString(status))
                .register(registry)
                .increment();
    }

    /**
     * {@code llmgw_key_tokens_total{key,kind}}: tokens of finished requests by key name, counted from the usage
     * records this gateway's request results write (each request by exactly one gateway: sum over instances).
     */
    public void recordUsage(final UsageRecord usage) {
        tokens(usage.keyName(), "prompt").increment(usage.promptTokens());
        tokens(usage.keyName(), "completion").increment(usage.completionTokens());
    }

    private Counter tokens(final String keyName, final String kind) {
        return Counter.builder("llmgw.key.tokens")
                .description("Tokens of finished requests, by API key name and kind (prompt, completion)")
                .tag("key", keyName)
                .tag("kind", kind)
                .register(registry);
    }

    private DistributionSummary limitChecks() {
        return DistributionSummary.builder("llmgw.gateway.limit.check")
                .description("Round trip of a rate-limit reservation to the key's owner")
                .baseUnit("seconds")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    private Counter limitsUnavailable() {
        return Counter.builder("llmgw.gateway.limits.unavailable")
                .description("Reservations that got no answer in time (GATEWAY_LIMITS_UNAVAILABLE applied)")
                .register(registry);
    }

    private Counter limitRefusals(final LimitDecision.RefusedBy limit) {
        return Counter.builder("llmgw.gateway.limit.refusals")
                .description("Requests refused with 429 by a key's limit: requests, tokens, concurrent")
                .tag("limit", limit.name().toLowerCase(java.util.Locale.ROOT))
                .register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Counts a finished request; {@code model} must be a known model or null. */
    public void recordRequest(final String model, final Endpoint endpoint, final int status, final Duration elapsed) {
        final String modelTag = model == null ? NO_MODEL : model;
        Counter.builder("llmgw.gateway.requests")
                .description("Requests answered by the gateway")
                .tag("model", modelTag)
                .tag("endpoint", endpoint.wireName())
                .tag("status", Integer.toString(status))
                .register(registry)
                .increment();
        Timer.builder("llmgw.gateway.request.duration")
                .description("Time from accepting a request to its last byte")
                .tag("model", modelTag)
                .tag("endpoint", endpoint.wireName())
                .register(registry)
                .record(elapsed);
    }

    /** Counts a cancel the gateway published, by its reason's wire code (a fixed set, so no unbounded series). */
    public void recordCancel(final CancelReason reason) {
        Counter.builder("llmgw.gateway.cancels")
                .description("Cancels published on the control topic: client gone, deadline passed, ...")
                .tag("reason", reason.wire())
                .register(registry)
                .increment();
    }

    /** Counts a request accepted with {@code Prefer: respond-async}. */
    public void recordAsyncSubmit(final String model, final Endpoint endpoint) {
        Counter.builder("llmgw.gateway.async.requests")
                .description("Requests accepted with Prefer: respond-async")
                .tag("model", model)
                .tag("endpoint", endpoint.wireName())
                .register(registry)
                .increment();
    }

    public void gaugePending(final Supplier<Number> pending) {
        Gauge.builder("llmgw.gateway.pending.requests", pending)
                .description("Requests waiting for their reply")
                .register(registry);
    }

    /**
     * {@code llmgw_gateway_reply_records_total{outcome}}: events records the reply consumer read, by what became of
     * them (delivered to a waiting client, ignored because nobody here waits, unreadable); read amplification is
     * all of them over the delivered ones.
     */
    public void countReplyRecords(final String outcome, final Supplier<Number> count) {
        counted.add(count);
        FunctionCounter.builder("llmgw.gateway.reply.records", count, number -> number.get().doubleValue())
                .description("Events records read by the reply consumer, by outcome: delivered, ignored, unreadable")
                .tag("outcome", outcome)
                .register(registry);
    }

    /** {@code llmgw_unreadable_records_total{topic,stage}}: records skipped or dead-lettered as unreadable. */
    public void countUnreadable(final String topic, final String stage, final Supplier<Number> count) {
        counted.add(count);
        FunctionCounter.builder("llmgw.unreadable.records", count, number -> number.get().doubleValue())
                .description("Records that could not be read and were skipped (or dead-lettered), by topic and reader")
                .tag("topic", topic)
                .tag("stage", stage)
                .register(registry);
    }

    public String scrape() {
        return registry.scrape();
    }
}
