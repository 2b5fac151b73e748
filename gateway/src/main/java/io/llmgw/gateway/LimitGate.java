package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.llmgw.keys.ApiKey;
import io.llmgw.limits.LimitCommand;
import io.llmgw.limits.LimitDecision;
import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * The limit check of an admitted request, between admission and publishing: a key with limits reserves a place with
 * its owner ({@link Reserver}) and waits for the answer; every response of such a key carries OpenAI's
 * {@code x-ratelimit-*} headers; a refusal is a 429 with {@code Retry-After}. Keys without limits, static keys and
 * open gateways pass without a round trip.
 *
 * <p>Stateless beyond its collaborators; called from many handler threads at once.
 */
final class LimitGate {

    /** Tokens reserved for the answer when the request sets no maximum; settled with the real usage after. */
    static final long DEFAULT_COMPLETION_TOKENS = 256;
    /** Roughly four bytes of English per token: the prompt's share of a reservation, settled after. */
    static final long BYTES_PER_TOKEN = 4;

    private static final Logger LOG = LoggerFactory.getLogger(LimitGate.class);

    /** Where reservations go; {@link LimitReservations} in a gateway, a fake in tests. */
    interface Reserver {
        LimitReservations.Answer reserve(LimitCommand command, Duration timeout) throws InterruptedException;

        void release(String requestId, String keyId);

        /** The request's answer was delivered; returns once the owner's partition has the news (or it failed). */
        void finish(String requestId, String keyId, Duration timeout) throws InterruptedException;
    }

    /** What the check decided. */
    sealed interface Outcome {
        /** No limits to count: nothing to give back. */
        record Unlimited() implements Outcome {
        }

        /**
         * A place is held for the request; give it back if the request is never published. {@code concurrent}: the
         * key limits requests at once, so the end of its answer is reported before the client reads it.
         */
        record Held(String requestId, String keyId, boolean concurrent) implements Outcome {
        }

        record Refused(ApiError error) implements Outcome {
        }
    }

    /** A gate for gateways without a limits app (unit tests of other parts): every request passes uncounted. */
    static final LimitGate NONE = new LimitGate(null, null, null);

    private final Reserver reserver;
    private final LimitsConfig config;
    private final GatewayMetrics metrics;

    LimitGate(final Reserver reserver, final LimitsConfig config, final GatewayMetrics metrics) {
        this.reserver = reserver;
        this.config = config;
        this.metrics = metrics;
    }

    static boolean isLimited(final ApiKey key) {
        return key != null && (key.rpm() != null || key.tpm() != null || key.maxConcurrent() != null);
    }

    Outcome check(final Context ctx, final String requestId, final Admission.Admitted admitted,
                  final long deadlineMs) throws InterruptedException {
        final ApiKey key = admitted.key();
        if (reserver == null || !isLimited(key)) {
            return new Outcome.Unlimited();
        }
        final LimitCommand command = LimitCommand.reserve(requestId, admitted.keyId(), key.rpm(), key.tpm(),
                key.maxConcurrent(), tokensToReserve(admitted.request().endpoint(), admitted.request().body()),
                deadlineMs);
        final long started = System.nanoTime();
        final LimitReservations.Answer answer = reserver.reserve(command, config.timeout());
        metrics.recordLimitCheck(Duration.ofNanos(System.nanoTime() - started));
        return switch (answer) {
            case LimitReservations.Answer.Decided decided -> decided(ctx, key, command, decided.decision());
            case LimitReservations.Answer.Unavailable unavailable -> unavailable(key, unavailable.why());
        };
    }

    /** Gives the place back: the request was admitted here but never reached Kafka. */
    void giveBack(final Outcome outcome) {
        if (outcome instanceof Outcome.Held held) {
            reserver.release(held.requestId(), held.keyId());
        }
    }

    /**
     * The answer of a held request is complete and about to be sent: for a key with a concurrency limit, the owner
     * hears it before the client does (the send is awaited), so a client that sends its next request as soon as it
     * has this answer is not refused for a request that is over. The tokens wait for the usage record.
     */
    void finished(final Outcome outcome) throws InterruptedException {
        if (outcome instanceof Outcome.Held held && held.concurrent()) {
            reserver.finish(held.requestId(), held.keyId(), config.timeout());
        }
    }

    private Outcome decided(final Context ctx, final ApiKey key, final LimitCommand command,
                            final LimitDecision decision) {
        RateLimitHeaders.write(ctx, decision);
        if (decision.allowed()) {
            return new Outcome.Held(command.requestId(), command.keyId(), command.maxConcurrent() != null);
        }
        final long retryAfterSeconds = Math.max(1, (decision.retryAfterMs() + 999) / 1000);
        ctx.header("Retry-After", Long.toString(retryAfterSeconds));
        metrics.recordLimitRefusal(decision.refusedBy());
        return new Outcome.Refused(refusal(key, command, decision, retryAfterSeconds));
    }

    private Outcome unavailable(final ApiKey key, final String why) {
        metrics.recordLimitsUnavailable();
        if (config.whenUnavailable() == LimitsConfig.WhenUnavailable.OPEN) {
            LOG.warn("limits of key {} not checked ({}); letting the request in (GATEWAY_LIMITS_UNAVAILABLE=open)",
                    key.name(), why);
            return new Outcome.Unlimited();
        }
        LOG.warn("limits of key {} not checked ({}); refusing (GATEWAY_LIMITS_UNAVAILABLE=closed)", key.name(), why);
        return new Outcome.Refused(new ApiError(503, "The rate limits of this key cannot be checked right now;"
                + " try again shortly.", "service_unavailable", null, "limits_unavailable"));
    }

    /**
     * OpenAI's refusal: code {@code rate_limit_exceeded}, the {@code type} naming the limit ({@code requests},
     * {@code tokens}), the message saying which limit, its value and when to retry. Concurrency, which OpenAI does not
     * limit per key, has its own code.
     */
    static ApiError refusal(final ApiKey key, final LimitCommand command, final LimitDecision decision,
                            final long retryAfterSeconds) {
        final String retry = " Please try again in " + retryAfterSeconds + "s.";
        return switch (decision.refusedBy()) {
            case REQUESTS -> new ApiError(429, "Rate limit reached for key " + key.name()
                    + " on requests per min (RPM): Limit " + command.rpm() + ", Used " + command.rpm()
                    + ", Requested 1." + retry, "requests", null, "rate_limit_exceeded");
            case TOKENS -> new ApiError(429, "Rate limit reached for key " + key.name()
                    + " on tokens per min (TPM): Limit " + command.tpm() + ", Used "
                    + (command.tpm() - decision.remainingTokens()) + ", Requested " + command.tokens() + "."
                    + (command.tokens() > command.tpm() ? " The request is larger than the limit; lower max_tokens"
                    + " or the prompt." : retry), "tokens", null, "rate_limit_exceeded");
            case CONCURRENT -> new ApiError(429, "Concurrency limit reached for key " + key.name()
                    + ": Limit " + command.maxConcurrent() + " requests at once." + retry, "concurrent_requests",
                    null, "concurrency_limit_exceeded");
        };
    }

    /**
     * What a request may cost, reserved until its usage settles it: a quarter of its body's bytes for the prompt,
     * plus its own maximum for the answer ({@code max_tokens}, {@code max_completion_tokens} or
     * {@code max_output_tokens}, times {@code n}), or {@value #DEFAULT_COMPLETION_TOKENS}. Embeddings answer no
     * tokens.
     */
    static long tokensToReserve(final Endpoint endpoint, final ObjectNode body) {
        final long prompt = (body.toString().length() + BYTES_PER_TOKEN - 1) / BYTES_PER_TOKEN;
        if (endpoint == Endpoint.EMBEDDINGS) {
            return prompt;
        }
        long answer = DEFAULT_COMPLETION_TOKENS;
        for (final String field : new String[] {"max_completion_tokens", "max_tokens", "max_output_tokens"}) {
            final JsonNode value = body.get(field);
            if (value != null && value.canConvertToLong() && value.asLong() > 0) {
                answer = value.asLong();
                break;
            }
        }
        final JsonNode n = body.get("n");
        final long choices = n != null && n.canConvertToLong() && n.asLong() > 1 ? n.asLong() : 1;
        return prompt + answer * choices;
    }
}
