package io.llmgw.gateway;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The events partitions this gateway instance holds: the ones it may stamp on new requests ({@link RequestIdMint}) and
 * that its {@link ReplyConsumer} reads whether or not anyone waits there yet. Either fixed by configuration
 * ({@code GATEWAY_REPLY_PARTITIONS}) or claimed in a consumer group ({@link ClaimsGroup}), where the set changes as
 * gateways join and leave.
 */
interface ReplyClaims extends AutoCloseable {

    /** The partitions held now (an immutable snapshot); empty before the first assignment. */
    Set<Integer> held();

    /** Waits up to {@code timeout} for the held set to change (returns early when it does). */
    void awaitChange(Duration timeout) throws InterruptedException;

    /** True unless the claim has been lost for good (the group member failed). */
    boolean isAlive();

    @Override
    void close();

    /** Partitions set by configuration: held from the start, never lost. */
    static ReplyClaims fixed(final ReplyPartitions partitions) {
        final Set<Integer> held = Set.copyOf(partitions.partitions());
        return new ReplyClaims() {
            @Override
            public Set<Integer> held() {
                return held;
            }

            @Override
            public void awaitChange(final Duration timeout) throws InterruptedException {
                // a fixed set never changes: just the bounded wait the caller asked for
                new CountDownLatch(1).await(timeout.toNanos(), TimeUnit.NANOSECONDS);
            }

            @Override
            public boolean isAlive() {
                return true;
            }

            @Override
            public void close() {
            }

            @Override
            public String toString() {
                return partitions + " (" + GatewayConfig.REPLY_PARTITIONS + ")";
            }
        };
    }
}
