package io.llmgw.processors;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * One model a worker serves: where its LLM host is and how patiently to call it.
 *
 * @param name              the model name clients use (and the routing key)
 * @param baseUrl           the upstream base URL including {@code /v1}, without a trailing slash
 * @param token             bearer token sent upstream, or null for hosts without auth
 * @param upstreamModel     if non-null, replaces {@code model} in the body sent upstream
 * @param concurrency       upstream calls one worker instance runs at once
 * @param firstTokenTimeout streams only: longest wait for the first chunk of a try
 * @param idleTimeout       streams only: longest gap between two chunks
 * @param totalTimeout      longest time a worker spends on one request, retries included
 * @param maxAttempts       upstream tries per request (1 = no retry)
 * @param retryBackoff      delay before the first retry; doubles per retry, with jitter
 * @param fallback          another model to hand a request to when this one's tries are used up by retryable
 *                          failures before any chunk was sent, or null; requests handed over are not handed on again
 */
public record ModelSpec(String name, String baseUrl, String token, String upstreamModel, int concurrency,
                        Duration firstTokenTimeout, Duration idleTimeout, Duration totalTimeout, int maxAttempts,
                        Duration retryBackoff, String fallback) {

    /** A model without a fallback. */
    public ModelSpec(final String name, final String baseUrl, final String token, final String upstreamModel,
                     final int concurrency, final Duration firstTokenTimeout, final Duration idleTimeout,
                     final Duration totalTimeout, final int maxAttempts, final Duration retryBackoff) {
        this(name, baseUrl, token, upstreamModel, concurrency, firstTokenTimeout, idleTimeout, totalTimeout,
                maxAttempts, retryBackoff, null);
    }

    public ModelSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a model needs a non-empty name");
        }
        baseUrl = normalizedBaseUrl(name, baseUrl);
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (upstreamModel != null && upstreamModel.isBlank()) {
            upstreamModel = null;
        }
        requirePositive(name, "concurrency", concurrency);
        requirePositive(name, "max attempts", maxAttempts);
        requirePositive(name, "first token timeout", firstTokenTimeout);
        requirePositive(name, "idle timeout", idleTimeout);
        requirePositive(name, "total timeout", totalTimeout);
        if (retryBackoff == null || retryBackoff.isNegative()) {
            throw new IllegalArgumentException("model " + name + ": retry backoff must be zero or more");
        }
        if (fallback != null && fallback.isBlank()) {
            fallback = null;
        }
        if (name.equals(fallback)) {
            throw new IllegalArgumentException("model " + name + " cannot fall back to itself");
        }
    }

    /** A copy that hands exhausted requests to {@code fallbackModel}. */
    public ModelSpec withFallback(final String fallbackModel) {
        return new ModelSpec(name, baseUrl, token, upstreamModel, concurrency, firstTokenTimeout, idleTimeout,
                totalTimeout, maxAttempts, retryBackoff, fallbackModel);
    }

    /**
     * The wait before try {@code failedTries + 1}: {@code retryBackoff * 2^(failedTries-1)}, of which a random half
     * is dropped (so that many requests failed by one upstream hiccup do not come back in lockstep), and never less
     * than what the host asked for in {@code Retry-After}.
     *
     * @param random01 a random number in [0, 1)
     */
    public Duration retryDelay(final int failedTries, final Duration retryAfter, final double random01) {
        final long baseNanos = retryBackoff.toNanos();
        final int doublings = Math.min(Math.max(failedTries - 1, 0), 20);
        final long exponential = baseNanos > Long.MAX_VALUE >> doublings ? Long.MAX_VALUE : baseNanos << doublings;
        final long jittered = exponential / 2 + (long) (exponential / 2 * random01);
        final Duration delay = Duration.ofNanos(jittered);
        return retryAfter != null && retryAfter.compareTo(delay) > 0 ? retryAfter : delay;
    }

    /** Never prints the token: specs end up in log lines. */
    @Override
    public String toString() {
        return "ModelSpec[name=" + name + ", baseUrl=" + baseUrl + ", token=" + (token == null ? "none" : "***")
                + ", upstreamModel=" + upstreamModel + ", concurrency=" + concurrency
                + ", firstTokenTimeout=" + firstTokenTimeout + ", idleTimeout=" + idleTimeout
                + ", totalTimeout=" + totalTimeout + ", maxAttempts=" + maxAttempts
                + ", retryBackoff=" + retryBackoff + ", fallback=" + fallback + "]";
    }

    private static String normalizedBaseUrl(final String name, final String baseUrl) {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException("model " + name + " needs a host URL (like http://gpu-1:8000/v1)");
        }
        String url = baseUrl.strip();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        final URI uri;
        try {
            uri = URI.create(url);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("model " + name + ": host is not a URL: " + baseUrl, e);
        }
        final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("model " + name + ": host must be an http(s) URL with a host name, got "
                    + baseUrl);
        }
        return url;
    }

    private static void requirePositive(final String model, final String what, final int value) {
        if (value < 1) {
            throw new IllegalArgumentException("model " + model + ": " + what + " must be at least 1, got " + value);
        }
    }

    private static void requirePositive(final String model, final String what, final Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException("model " + model + ": " + what + " must be positive, got " + value);
        }
    }
}
