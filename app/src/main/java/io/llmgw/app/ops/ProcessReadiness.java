package io.llmgw.app.ops;

import io.llmgw.runtime.ClusterProbe;
import io.llmgw.runtime.ProcessFailure;
import io.llmgw.runtime.Readiness;
import org.apache.kafka.streams.KafkaStreams;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The checks behind {@code /ready} of a router or worker process: Kafka answers ({@code kafka}), and every Streams
 * instance of the process is RUNNING (one check per instance, by name). A Streams instance does not leave RUNNING when
 * the brokers go away, hence the separate Kafka check.
 */
public final class ProcessReadiness implements Readiness {

    /** The check that {@code /health} answers too. */
    public static final String ALIVE = "alive";

    private final ClusterProbe probe;
    private final Map<String, Supplier<KafkaStreams.State>> streams = new ConcurrentHashMap<>();

    public ProcessReadiness(final ClusterProbe probe) {
        this.probe = probe;
    }

    /** Adds a check named {@code name} that holds while {@code state} is RUNNING. */
    public void watch(final String name, final Supplier<KafkaStreams.State> state) {
        streams.put(name, state);
    }

    @Override
    public Map<String, Boolean> checks() {
        final Map<String, Boolean> checks = new LinkedHashMap<>();
        // false once an internal loop of the process died (ProcessFailure): /health answers 503 too
        checks.put(ALIVE, !ProcessFailure.process().hasFailed());
        checks.put("kafka", probe.reachable());
        streams.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry ->
                checks.put(entry.getKey(), entry.getValue().get() == KafkaStreams.State.RUNNING));
        return checks;
    }
}
