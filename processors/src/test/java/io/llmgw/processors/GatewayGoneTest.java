package io.llmgw.processors;

import io.llmgw.schemas.CancelReason;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A gateway that left its claims group: which requests that cancels, and how the watch tells gone from restarted. */
class GatewayGoneTest {

    private static RequestEnvelope request(final String id, final String gateway, final long receivedAtMs,
                                           final boolean detached) {
        return new RequestEnvelope(id, Endpoint.CHAT_COMPLETIONS, "m", true, Json.object(), receivedAtMs,
                receivedAtMs + 60_000, 0, gateway, null, 1, detached);
    }

    @Test
    void shouldCancelOnlyTheWaitedForRequestsOfThatGatewayReceivedBeforeItWentWhenAGatewayIsGone() {
        final CancelRegistry registry = new CancelRegistry();
        final List<String> heard = new CopyOnWriteArrayList<>();
        registry.subscribeGatewayGone(gone -> heard.add(gone.gatewayId()));

        registry.gatewayGone(new CancelRegistry.GatewayGone("gw-a", 1_000));

        assertEquals(List.of("gw-a"), heard);
        assertEquals(Optional.of(CancelReason.GATEWAY_GONE), registry.reasonFor(request("r1", "gw-a", 999, false)));
        assertEquals(Optional.empty(), registry.reasonFor(request("r2", "gw-a", 999, true)), "async keeps running");
        assertEquals(Optional.empty(), registry.reasonFor(request("r3", "gw-a", 1_000, false)), "the new process's");
        assertEquals(Optional.empty(), registry.reasonFor(request("r4", "gw-b", 999, false)), "another gateway's");
        assertEquals(Optional.empty(), registry.reasonFor(request("r5", null, 999, false)));
    }

    @Test
    void shouldPreferACancelOfTheRequestItselfWhenBothApply() {
        final CancelRegistry registry = new CancelRegistry();
        registry.cancel("r1");
        registry.gatewayGone(new CancelRegistry.GatewayGone("gw-a", 1_000));

        assertEquals(Optional.of(CancelReason.CLIENT_DISCONNECTED),
                registry.reasonFor(request("r1", "gw-a", 10, false)));
    }

    @Test
    void shouldReportAMemberThatLeftWithTheLaterLookAndOneReplacedWithTheEarlierWhenTheGroupChanges() {
        final GatewayWatch.Members before = new GatewayWatch.Members(Map.of("gw-a", "m1", "gw-b", "m2",
                "gw-c", "m3"), 1_000);
        final GatewayWatch.Members after = new GatewayWatch.Members(Map.of("gw-b", "m2", "gw-c", "m3-new",
                "gw-d", "m4"), 2_000);

        final List<CancelRegistry.GatewayGone> gone = GatewayWatch.compare(before, after).stream()
                .sorted(java.util.Comparator.comparing(CancelRegistry.GatewayGone::gatewayId)).toList();

        assertEquals(List.of(new CancelRegistry.GatewayGone("gw-a", 2_000),
                new CancelRegistry.GatewayGone("gw-c", 1_000)), gone);
    }
}
