package io.llmgw.gateway;

import io.llmgw.runtime.GatewayMembership;
import io.llmgw.runtime.ProcessFailure;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Claims reply partitions by membership of the consumer group {@link GatewayMembership#group} on the events topic:
 * the partitions the group assigns to this instance are the ones it holds.
 *
 * <p><b>Why a group.</b> Any number of gateways share the events topic with no per-instance setting; Kafka spreads the
 * partitions, moves a leaving member's to the others, and its session timeout ({@value GatewayMembership#SESSION_TIMEOUT_MS}
 * ms) notices a crashed member, which workers watch for to cancel that gateway's calls. The cooperative-sticky
 * assignor moves only the partitions that must move, and the others stay held through a rebalance. Each member is a
 * static one named after {@code GATEWAY_ID}: a second process with the same id fences the first, which reports it
 * as fatal rather than silently sharing partitions.
 *
 * <p><b>It reads nothing.</b> Every assigned partition is paused at once, so this consumer only keeps the membership
 * alive; the {@link ReplyConsumer} reads the held partitions and, beyond them, a partition that was taken away while
 * requests still wait there. A partition revoked in a cooperative rebalance stops being delivered by the group's
 * consumer, so the group consumer could not finish the streams that wait on it.
 *
 * <p>Threading: one platform thread ({@code llmgw-reply-claims}) owns the consumer and runs the rebalance callbacks,
 * the only writer of {@code held} (under {@code changes}, whose monitor wakes {@link #awaitChange} callers); other
 * threads read the volatile snapshot and call {@link Consumer#wakeup()}.
 */
final class ClaimsGroup implements ReplyClaims {

    private static final Logger LOG = LoggerFactory.getLogger(ClaimsGroup.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final Consumer<String, byte[]> consumer;
    private final String topic;
    private final String member;
    private final ProcessFailure failure;
    private final String what;
    private final java.util.function.Consumer<Set<Integer>> onGivenUp;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object changes = new Object();
    private volatile Set<Integer> held = Set.of();
    private volatile boolean running = true;

    ClaimsGroup(final Consumer<String, byte[]> consumer, final String topic, final String member,
                final ProcessFailure failure) {
        this(consumer, topic, member, failure, "reply claims", given -> { });
    }

    /**
     * @param what      names the claims in logs and the thread ({@code llmgw-<what>})
     * @param onGivenUp called on the claims thread, inside the rebalance, with partitions revoked or lost: whatever
     *                  this instance did for them must stop before it returns, since another member may start next
     */
    ClaimsGroup(final Consumer<String, byte[]> consumer, final String topic, final String member,
                final ProcessFailure failure, final String what,
                final java.util.function.Consumer<Set<Integer>> onGivenUp) {
        this.consumer = consumer;
        this.topic = topic;
        this.member = member;
        this.failure = failure;
        this.what = what;
        this.onGivenUp = onGivenUp;
        this.thread = Thread.ofPlatform().name("llmgw-" + what.replace(' ', '-')).daemon().unstarted(this::run);
    }

    /** Joins the claims group of {@code config}'s topics as {@code llmgw-claims-<GATEWAY_ID>}. */
    static ClaimsGroup start(final Settings settings, final GatewayConfig config, final ProcessFailure failure) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, GatewayMembership.group(config.topics()));
        final String member = GatewayMembership.instanceId(config.gatewayId());
        props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, member);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, member);
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, GatewayMembership.SESSION_TIMEOUT_MS);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, GatewayMembership.HEARTBEAT_INTERVAL_MS);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        final ClaimsGroup claims = new ClaimsGroup(new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer()), config.topics().events().name(), member, failure);
        claims.thread.start();
        return claims;
    }

    /**
     * Joins the batch owners' group {@code <prefix>-batch-owners} on the batches topic as
     * {@code llmgw-batches-<GATEWAY_ID>} (static, the same session as the reply claims): the partitions held are
     * the ones whose batches this instance drives.
     */
    static ClaimsGroup startBatchOwners(final Settings settings, final GatewayConfig config,
                                        final ProcessFailure failure,
                                        final java.util.function.Consumer<Set<Integer>> onGivenUp) {
        final Map<String, Object> props = KafkaClientProps.consumer(settings);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.topics().prefix() + "-batch-owners");
        final String member = "llmgw-batches-" + config.gatewayId();
        props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, member);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, member);
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, GatewayMembership.SESSION_TIMEOUT_MS);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, GatewayMembership.HEARTBEAT_INTERVAL_MS);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        final ClaimsGroup claims = new ClaimsGroup(new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer()), config.topics().batches().name(), member, failure, "batch owners",
                onGivenUp);
        claims.thread.start();
        return claims;
    }

    @Override
    public Set<Integer> held() {
        return held;
    }

    @Override
    public void awaitChange(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changes) {
            final Set<Integer> before = held;
            long left;
            while (held == before && (left = deadline - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(changes, left);
            }
        }
    }

    @Override
    public boolean isAlive() {
        return thread.isAlive() || !running;
    }

    @Override
    public String toString() {
        return "claimed in group as " + member;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            if (!stopped.await(10, TimeUnit.SECONDS)) {
                LOG.warn("{} did not stop within 10 s", what);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic), new Rebalance());
            while (running) {
                pollOnce();
            }
        } catch (final WakeupException | InterruptException e) {
            if (running) {
                failure.report("the " + what + " (interrupted while running)", e);
            }
        } catch (final FencedInstanceIdException e) {
            failure.report("the " + what + ": another gateway runs with the same GATEWAY_ID (" + member + ")", e);
        } catch (final RuntimeException | Error e) {
            failure.report("the " + what, e);
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            held = Set.of();
            leave();
            stopped.countDown();
        }
    }

    private void pollOnce() {
        try {
            // everything assigned is paused: poll only heartbeats and takes part in rebalances
            consumer.poll(POLL);
        } catch (final WakeupException | InterruptException | FencedInstanceIdException e) {
            throw e;
        } catch (final KafkaException e) {
            LOG.warn("the {}' poll failed, retrying: {}", what, e.toString());
        }
    }

    /** A polite close leaves at once: the others take the partitions over now, not after the session timeout. */
    private void leave() {
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5))
                    .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        } catch (final RuntimeException e) {
            LOG.debug("closing the {} failed", what, e);
        }
    }

    /** Runs inside {@code poll()} on the claims thread. */
    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsAssigned(final Collection<TopicPartition> partitions) {
            consumer.pause(partitions);
            change(partitions, true, "claimed");
        }

        @Override
        public void onPartitionsRevoked(final Collection<TopicPartition> partitions) {
            change(partitions, false, "given up");
            giveUp(partitions);
        }

        @Override
        public void onPartitionsLost(final Collection<TopicPartition> partitions) {
            change(partitions, false, "lost");
            giveUp(partitions);
        }

        private void giveUp(final Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                onGivenUp.accept(Set.copyOf(partitions.stream().map(TopicPartition::partition).toList()));
            }
        }

        private void change(final Collection<TopicPartition> partitions, final boolean add, final String what) {
            if (partitions.isEmpty()) {
                return;
            }
            final Set<Integer> next = new TreeSet<>(held);
            partitions.forEach(partition -> {
                if (add) {
                    next.add(partition.partition());
                } else {
                    next.remove(partition.partition());
                }
            });
            synchronized (changes) {
                held = Set.copyOf(next);
                changes.notifyAll();
            }
            LOG.info("{}: partitions {} {}; holding {}", ClaimsGroup.this.what,
                    partitions.stream().map(TopicPartition::partition).toList(), what, new TreeSet<>(next));
        }
    }
}
