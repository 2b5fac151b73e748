package io.llmgw.schemas;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonSerdeTest {

    private final JsonSerde<RequestEnvelope> serde = new JsonSerde<>(RequestEnvelope.class);

    @Test
    void shouldKeepTheClientBodyExactlyWhenRoundTripped() throws Exception {
        final String body = "{\"model\":\"m\",\"temperature\":0.70,\"seed\":123456789012345678901234567890,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Привет, как дела?\"}],"
                + "\"tools\":[{\"type\":\"function\"}],\"unknown_field\":{\"a\":[1,2.50]}}";
        final ObjectNode node = (ObjectNode) Json.MAPPER.readTree(body);
        final RequestEnvelope envelope = new RequestEnvelope("req_1", Endpoint.CHAT_COMPLETIONS, "m", false, node,
                1L, 2L, 3, "gw", null, 1, false);

        final RequestEnvelope back = ((Decoded.Ok<RequestEnvelope>) serde.decode(serde.encode(envelope))).value();

        assertEquals(body, Json.MAPPER.writeValueAsString(back.body()));
        assertEquals(envelope, back);
    }

    @Test
    void shouldWriteEndpointAndEventTypeInTheirWireNames() {
        final String json = new String(serde.encode(new RequestEnvelope("r", Endpoint.COMPLETIONS, "m", true,
                Json.object(), 0, 0, 0, "g", null, 1, false)), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"endpoint\":\"completions\""), json);

        final JsonSerde<ResponseEvent> events = new JsonSerde<>(ResponseEvent.class);
        final String event = new String(events.encode(new ResponseEvent("r", 0, EventType.CHUNK, null, Json.object(),
                null, 0, 1)), StandardCharsets.UTF_8);
        assertTrue(event.contains("\"type\":\"chunk\""), event);
    }

    @Test
    void shouldReportUnreadableBytesInsteadOfThrowing() {
        assertInstanceOf(Decoded.Failed.class, serde.decode("{not json".getBytes(StandardCharsets.UTF_8)));
        assertInstanceOf(Decoded.Failed.class, serde.decode("null".getBytes(StandardCharsets.UTF_8)));
        assertInstanceOf(Decoded.Failed.class, serde.decode(null));
        assertInstanceOf(Decoded.Failed.class, serde.decode("{\"endpoint\":\"nope\"}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldThrowFromThePlainDeserializerButPassTombstones() {
        assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize("t", "]".getBytes(StandardCharsets.UTF_8)));
        assertNull(serde.deserializer().deserialize("t", null));
    }

    @Test
    void shouldCarryUsageOfACompletionIntoItsEvent() throws Exception {
        final RequestEnvelope request = new RequestEnvelope("r", Endpoint.CHAT_COMPLETIONS, "m", false,
                Json.object(), 0, 0, 4, "g", null, 2, false);
        final ResponseEvent event = ResponseEvent.complete(request, 0,
                Json.MAPPER.readTree("{\"usage\":{\"total_tokens\":5}}"));
        assertEquals(5, event.usage().get("total_tokens").asInt());
        assertEquals(4, event.replyPartition());
        assertEquals(2, event.attempt());
    }

    @Test
    void shouldReadAnEnvelopeWrittenBeforeSchedulingFieldsExistedAsNormalWithoutFairnessKey() {
        final String old = "{\"id\":\"r\",\"endpoint\":\"chat.completions\",\"model\":\"m\",\"stream\":false,"
                + "\"body\":{},\"receivedAtMs\":1,\"deadlineMs\":2,\"replyPartition\":0,\"keyId\":\"k\","
                + "\"attempt\":1,\"detached\":false}";

        final RequestEnvelope read = ((Decoded.Ok<RequestEnvelope>) serde.decode(old.getBytes(StandardCharsets.UTF_8)))
                .value();

        assertEquals(Priority.NORMAL, read.priority());
        assertNull(read.fairnessKey());
    }

    @Test
    void shouldRoundTripPriorityAndFairnessKeyAndKeepThemAcrossAttempts() {
        final RequestEnvelope envelope = new RequestEnvelope("r", Endpoint.COMPLETIONS, "m", true, Json.object(), 0, 0,
                0, "g", "k", 1, false).withScheduling(Priority.LOW, "user-7");

        final String json = new String(serde.encode(envelope), StandardCharsets.UTF_8);
        final RequestEnvelope back = ((Decoded.Ok<RequestEnvelope>) serde.decode(serde.encode(envelope))).value();

        assertTrue(json.contains("\"priority\":\"low\""), json);
        assertEquals(envelope, back);
        assertEquals(Priority.LOW, back.withAttempt(2).priority());
        assertEquals("user-7", back.withAttempt(2).fairnessKey());
    }

    @Test
    void shouldAcceptOnlyTheThreeClientPrioritiesFromTheHeader() {
        assertEquals(Priority.HIGH, Priority.fromHeader(" High ").orElseThrow());
        assertEquals(Priority.LOW, Priority.fromHeader("low").orElseThrow());
        assertTrue(Priority.fromHeader("batch").isEmpty(), "batch is for batch lines, not for clients");
        assertTrue(Priority.fromHeader("urgent").isEmpty());
    }
}
