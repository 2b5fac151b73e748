package io.llmgw.processors;

import io.llmgw.schemas.CancelCommand;
import io.llmgw.schemas.CancelReason;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CancelRegistryTest {

    @Test
    void shouldRememberTheReasonAndTellSubscribersWhenARequestIsCancelled() throws Exception {
        final CancelRegistry registry = new CancelRegistry();
        final List<String> heard = new CopyOnWriteArrayList<>();
        final AutoCloseable subscription = registry.subscribe(command -> heard.add(command.id()));

        registry.cancel(new CancelCommand("req_1", CancelReason.DEADLINE, 0));
        registry.cancel("req_2");
        subscription.close();
        registry.cancel("req_3");

        assertEquals(CancelReason.DEADLINE, registry.reasonFor("req_1").orElseThrow());
        assertEquals(CancelReason.CLIENT_DISCONNECTED, registry.reasonFor("req_2").orElseThrow());
        assertEquals(List.of("req_1", "req_2"), heard, "nothing after unsubscribing");
    }

    @Test
    void shouldGiveSubscribersAReasonWhenACancelCameWithoutOne() {
        final CancelRegistry registry = new CancelRegistry();
        final List<CancelReason> reasons = new CopyOnWriteArrayList<>();
        registry.subscribe(command -> reasons.add(command.reason()));

        registry.cancel(new CancelCommand("req_1", null, 0));

        assertEquals(List.of(CancelReason.OTHER), reasons);
        assertEquals(CancelReason.OTHER, registry.reasonFor("req_1").orElseThrow());
    }

    @Test
    void shouldForgetOldCancelsWhenTheirRetentionHasPassed() {
        final CancelRegistry registry = new CancelRegistry(Duration.ZERO);

        registry.cancel("req_1");
        registry.cancel("req_2");

        assertTrue(registry.reasonFor("req_1").isEmpty(), "dropped when a later cancel arrived");
    }
}
