package io.llmgw.schemas;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class CancelReasonTest {

    private final JsonSerde<CancelCommand> serde = new JsonSerde<>(CancelCommand.class);

    private CancelCommand decode(final String json) {
        return decoded(serde.decode(json.getBytes(StandardCharsets.UTF_8)));
    }

    @SuppressWarnings("unchecked")
    private static CancelCommand decoded(final Decoded<CancelCommand> decoded) {
        return ((Decoded.Ok<CancelCommand>) assertInstanceOf(Decoded.Ok.class, decoded)).value();
    }

    @Test
    void shouldWriteTheWireCodesOlderRecordsCarryWhenEncoded() {
        assertEquals("{\"id\":\"req_1\",\"reason\":\"client_disconnected\",\"atMs\":7}", new String(
                serde.encode(new CancelCommand("req_1", CancelReason.CLIENT_DISCONNECTED, 7)), StandardCharsets.UTF_8));
        assertEquals("deadline", CancelReason.DEADLINE.wire());
        assertEquals("publish_failed", CancelReason.PUBLISH_FAILED.wire());
        assertEquals("gateway_error", CancelReason.GATEWAY_ERROR.wire());
        assertEquals("gateway_shutdown", CancelReason.GATEWAY_SHUTDOWN.wire());
    }

    @Test
    void shouldReadARecordWrittenWithAPlainStringReason() {
        assertEquals(new CancelCommand("req_1", CancelReason.DEADLINE, 5),
                decode("{\"id\":\"req_1\",\"reason\":\"deadline\",\"atMs\":5}"));
    }

    @Test
    void shouldReadOtherWhenTheReasonIsUnknownMissingOrNull() {
        assertEquals(CancelReason.OTHER, decode("{\"id\":\"r\",\"reason\":\"gateway_lost\",\"atMs\":1}").reason());
        assertEquals(CancelReason.OTHER, decode("{\"id\":\"r\",\"atMs\":1}").reason());
        assertEquals(CancelReason.OTHER, decode("{\"id\":\"r\",\"reason\":null,\"atMs\":1}").reason());
        assertEquals(CancelReason.OTHER, new CancelCommand("r", null, 1).reason());
    }

    @ParameterizedTest
    @EnumSource(CancelReason.class)
    void shouldRoundTripEveryReasonThroughItsWireCode(final CancelReason reason) {
        assertEquals(reason, CancelReason.fromWire(reason.wire()));
        assertEquals(new CancelCommand("r", reason, 3), decoded(serde.decode(serde.encode(new CancelCommand("r", reason, 3)))));
    }

    @Test
    void shouldSayTheReasonInWordsWhenDescribed() {
        assertEquals("client disconnected", CancelReason.CLIENT_DISCONNECTED.words());
        assertEquals("gateway shutdown", CancelReason.GATEWAY_SHUTDOWN.words());
    }
}
