package io.llmgw.broker;

import java.util.Map;
import java.util.Properties;

/**
 * The configuration of a one-node KRaft cluster (broker and controller in one process) on 127.0.0.1, tuned for a
 * developer machine: every internal topic has one replica, and the defaults that make the first consumer group slow
 * or a small heap run out are overridden.
 */
public final class SingleNodeConfig {

    public static final int NODE_ID = 1;

    private SingleNodeConfig() {
    }

    /** Properties for {@code args}, whose ports must already be decided (see {@link BrokerArgs#withFreePorts()}). */
    public static Properties of(final BrokerArgs args) {
        if (args.port() == 0 || args.controllerPort() == 0) {
            throw new IllegalArgumentException("ports must be chosen before the config is built: " + args);
        }
        final Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + args.controllerPort());
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        // 127.0.0.1 only: a developer's broker must not be reachable from the network
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + args.port() + ",CONTROLLER://127.0.0.1:" + args.controllerPort());
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + args.port());
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", args.logDir().toAbsolutePath().toString());

        props.put("default.replication.factor", "1");
        props.put("min.insync.replicas", "1");
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        // 50 offsets partitions make the first group join take seconds; one is plenty on one node
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.num.partitions", "1");
        props.put("share.coordinator.state.topic.num.partitions", "1");
        // the 3 s default delays every consumer group's first rebalance, and so every start of the stack
        props.put("group.initial.rebalance.delay.ms", "0");
        // the 128 MiB default is allocated on heap: a 256 MiB broker would die with OutOfMemoryError at start
        props.put("log.cleaner.dedupe.buffer.size", "8388608");
        // topics are created deliberately (with their partition counts); a typo must not create a topic
        props.put("auto.create.topics.enable", "false");

        for (final Map.Entry<String, String> override : args.overrides().entrySet()) {
            props.put(override.getKey(), override.getValue());
        }
        return props;
    }
}
