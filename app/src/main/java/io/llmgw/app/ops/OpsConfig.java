package io.llmgw.app.ops;

import io.llmgw.settings.Settings;

import java.time.Duration;

/**
 * Settings of the operations endpoints of router and worker processes.
 *
 * @param host               {@code OPS_HOST}, default {@code 0.0.0.0}: Prometheus and probes come from outside
 * @param port               {@code OPS_PORT}, default {@value #DEFAULT_PORT} (the usual Prometheus exporter port);
 *                           0 picks a free one
 * @param queueDepthInterval {@code OPS_QUEUE_DEPTH_INTERVAL} in seconds, default 5: how often queue depth is measured
 */
public record OpsConfig(String host, int port, Duration queueDepthInterval) {

    public static final String HOST = "OPS_HOST";
    public static final String PORT = "OPS_PORT";
    public static final String QUEUE_DEPTH_INTERVAL = "OPS_QUEUE_DEPTH_INTERVAL";
    public static final int DEFAULT_PORT = 9464;
    public static final Duration DEFAULT_QUEUE_DEPTH_INTERVAL = Duration.ofSeconds(5);

    public OpsConfig {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(PORT + " must be 0-65535: " + port);
        }
        if (queueDepthInterval.toMillis() < 100) {
            throw new IllegalArgumentException(QUEUE_DEPTH_INTERVAL + " must be at least 0.1 seconds: "
                    + queueDepthInterval);
        }
    }

    public static OpsConfig from(final Settings settings) {
        return new OpsConfig(settings.get(HOST, "0.0.0.0"), settings.getInt(PORT, DEFAULT_PORT),
                settings.getSeconds(QUEUE_DEPTH_INTERVAL, DEFAULT_QUEUE_DEPTH_INTERVAL));
    }
}
