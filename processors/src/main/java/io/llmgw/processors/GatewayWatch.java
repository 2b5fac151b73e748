package io.llmgw.processors;

import io.llmgw.runtime.GatewayMembership;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Watches the gateways' claims group ({@link GatewayMembership#group}) and tells the {@link CancelRegistry} when a
 * gateway is gone, so that the calls its waiting clients asked for stop: a gateway killed without closing cancels
 * nothing itself, and its clients' connections died with it.
 *
 * <p><b>What counts as gone.</b> A member seen in the group that is no longer there (its session expired after a
 * crash, or it left on close): its requests received before this look count as cancelled. A member replaced under the
 * same {@code group.instance.id} (a gateway restarted with the same {@code GATEWAY_ID} within the session) ends the
 * old incarnation: its requests received before the last look that still showed it count as cancelled, so the new
 * incarnation's own requests are never touched. Only gateways seen as members are ever gone: one with
 * {@code GATEWAY_REPLY_PARTITIONS} does not join the group, and a gateway that died while no worker watched is not
 * noticed (its calls run to their deadline, as before). Async requests ({@code detached}) are never cancelled.
 *
 * <p><b>Why polling an admin call.</b> A consumer in the group would take part in its rebalances; describing the group
 * every {@code interval} (1 s) costs one small request to the group coordinator and nothing to the gateways. With the
 * group's {@value GatewayMembership#SESSION_TIMEOUT_MS} ms session, a crash is acted on within about 8 s.
 *
 * <p>Threading: one platform thread ({@code llmgw-gateway-watch-...}) owns the admin client and {@code members};
 * {@link CancelRegistry#gatewayGone} runs its subscribers on it. {@link #close()} only flips a flag and waits.
 */
public final class GatewayWatch implements AutoCloseable {

    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(GatewayWatch.class);

    /** What one look at the group found: member id by gateway id, and when the look was sent. */
    record Members(Map<String, String> byGateway, long lookedAtMs) {
    }

    private final Admin admin;
    private final String group;
    private final CancelRegistry registry;
    private final Duration interval;
    private final Thread thread;
    private final CountDownLatch stop = new CountDownLatch(1);
    private Members members;

    GatewayWatch(final Admin admin, final String group, final CancelRegistry registry, final Duration interval,
                 final String name) {
        this.admin = admin;
        this.group = group;
        this.registry = registry;
        this.interval = interval;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    }

    /** Starts watching the claims group of {@code topics}' gateways on its own thread. */
    public static GatewayWatch start(final Settings settings, final Topics topics, final CancelRegistry registry,
                                     final String name) {
        final Duration interval = settings.getSeconds("WORKER_GATEWAY_WATCH_INTERVAL", DEFAULT_INTERVAL);
        final GatewayWatch watch = new GatewayWatch(Admin.create(KafkaClientProps.common(settings)),
                GatewayMembership.group(topics), registry, interval, name);
        watch.thread.start();
        return watch;
    }

    /** True while the watch thread runs. */
    public boolean isAlive() {
        return thread.isAlive();
    }

    private void run() {
        try {
            do {
                look();
            } while (!stop.await(interval.toMillis(), TimeUnit.MILLISECONDS));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            admin.close(Duration.ZERO); // a look still pending at close would only be thrown away
        }
    }

    /** One look; a failed one changes nothing (a broker hiccup is no reason to cancel anything). */
    void look() throws InterruptedException {
        final long sentAtMs = System.currentTimeMillis();
        final Optional<Map<String, String>> now = describe();
        if (now.isEmpty()) {
            return;
        }
        final Members next = new Members(now.get(), sentAtMs);
        if (members != null) {
            compare(members, next).forEach(registry::gatewayGone);
        }
        members = next;
    }

    /** The gateways of {@code before} that {@code after} shows gone or replaced. */
    static List<CancelRegistry.GatewayGone> compare(final Members before, final Members after) {
        return before.byGateway().entrySet().stream()
                .filter(member -> !member.getValue().equals(after.byGateway().get(member.getKey())))
                .map(member -> {
                    final boolean replaced = after.byGateway().containsKey(member.getKey());
                    LOG.info("gateway {} {} the reply claims group: cancelling the calls its clients waited for",
                            member.getKey(), replaced ? "was restarted in" : "left");
                    return new CancelRegistry.GatewayGone(member.getKey(),
                            replaced ? before.lookedAtMs() : after.lookedAtMs());
                })
                .toList();
    }

    private Optional<Map<String, String>> describe() throws InterruptedException {
        try {
            final ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all()
                    .get(interval.toMillis() * 5, TimeUnit.MILLISECONDS).get(group);
            final Map<String, String> byGateway = new HashMap<>();
            for (final MemberDescription member : description.members()) {
                member.groupInstanceId().flatMap(GatewayMembership::gatewayIdOf)
                        .ifPresent(gateway -> byGateway.put(gateway, member.consumerId()));
            }
            return Optional.of(byGateway);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Optional.of(Map.of()); // no gateway ever joined, or the group was deleted
            }
            LOG.debug("cannot describe the gateways' group {}: {}", group, e.getCause().toString());
            return Optional.empty();
        } catch (final TimeoutException e) {
            LOG.debug("describing the gateways' group {} timed out", group);
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        stop.countDown();
        thread.interrupt(); // a look waits up to five intervals for a broker that may be gone: nobody needs its answer
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
