package io.llmgw.topology;

/**
 * Makes sure the topic a model route names exists before the router sends anything to it. Without that, a route an
 * operator writes by hand (or a worker that announced itself and lost its topic) would make the router's producer
 * block for {@code max.block.ms} on every request of that model, and a failing send stalls every other model too.
 */
@FunctionalInterface
public interface RouteTopics {

    /** True when {@code topic} exists or was created; false when it cannot be used (the model is then absent). */
    boolean ensure(String topic);
}
