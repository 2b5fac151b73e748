package io.llmgw.runtime;

import io.llmgw.schemas.Topics;

import java.util.Optional;

/**
 * How gateway instances name their claim on reply partitions, in one place, so that workers watch the group the
 * gateways join.
 *
 * <p>Every gateway instance (without {@code GATEWAY_REPLY_PARTITIONS}) joins the consumer group {@link #group} on the
 * events topic. The group's assignment is the claim: the partitions a gateway owns are the ones it stamps on new
 * requests, and a member leaving the group (its session expired after a crash, or it closed) tells the workers that
 * the gateway's waiting clients are gone. Each member is a static one ({@link #instanceId}), so the member names the
 * gateway whose requests carry {@code gatewayId} in their envelope.
 */
public final class GatewayMembership {

    /** The group's session: a gateway killed without closing leaves it (and its calls are cancelled) this soon. */
    public static final int SESSION_TIMEOUT_MS = 6_000;
    /** A third of the session or less, as Kafka advises; a missed heartbeat or two does not cost the claim. */
    public static final int HEARTBEAT_INTERVAL_MS = 1_500;

    private static final String INSTANCE_PREFIX = "llmgw-claims-";

    private GatewayMembership() {
    }

    /** {@code <prefix>-gateway-replies}: the consumer group of every gateway's claims. */
    public static String group(final Topics topics) {
        return topics.prefix() + "-gateway-replies";
    }

    /** {@code llmgw-claims-<GATEWAY_ID>}: the static member of one gateway instance. */
    public static String instanceId(final String gatewayId) {
        return INSTANCE_PREFIX + gatewayId;
    }

    /** The gateway id a member's {@code group.instance.id} names; empty for a member that is not a gateway's. */
    public static Optional<String> gatewayIdOf(final String instanceId) {
        if (instanceId == null || !instanceId.startsWith(INSTANCE_PREFIX)
                || instanceId.length() == INSTANCE_PREFIX.length()) {
            return Optional.empty();
        }
        return Optional.of(instanceId.substring(INSTANCE_PREFIX.length()));
    }
}
