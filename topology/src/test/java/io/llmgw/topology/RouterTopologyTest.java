package io.llmgw.topology;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.DeadLetterHeaders;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.EventType;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.ModelRoute;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouterTopologyTest {

    private static final Instant START = Instant.parse("2026-11-01T12:00:00Z");
    private static final String GPT = "gpt-4o-mini";
    private static final String QWEN = "Qwen/Qwen2.5-72B-Instruct-AWQ";

    private final Topics topics = new Topics(Topics.DEFAULT_PREFIX);
    /** Topics the fake admin "cannot create": routes to them must make their model absent. */
    private final java.util.Set<String> uncreatableTopics = new java.util.HashSet<>();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;
    private TestInputTopic<String, byte[]> models;
    private TestOutputTopic<String, ResponseEvent> events;
    private TestOutputTopic<String, byte[]> deadLetters;

    @BeforeEach
    @SuppressWarnings("deprecation") // as RouterService does: opt in to Kafka 5.0's global exception handling
    void startDriver(@TempDir final Path stateDir) {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "router-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        driver = new TopologyTestDriver(RouterTopology.topology(topics, topic -> !uncreatableTopics.contains(topic)),
                props, START);
        requests = driver.createInputTopic(topics.requests().name(), new StringSerializer(), new ByteArraySerializer());
        models = driver.createInputTopic(topics.models().name(), new StringSerializer(), new ByteArraySerializer());
        events = driver.createOutputTopic(topics.events().name(), new StringDeserializer(),
                topics.events().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.dlqName(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    @Test
    void shouldForwardBytesAndHeadersUnchangedWhenModelIsRegistered() {
        announce(GPT);
        final byte[] request = encode(chat("req_1", GPT, START.plusSeconds(60)));
        final Headers headers = new RecordHeaders().add("traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".getBytes(StandardCharsets.UTF_8));

        requests.pipeInput(new TestRecord<>("req_1", request, headers, START));

        final TestRecord<String, byte[]> routed = modelTopic(GPT).readRecord();
        assertEquals("req_1", routed.key());
        assertArrayEquals(request, routed.value());
        assertArrayEquals(headers.lastHeader("traceparent").value(), routed.headers().lastHeader("traceparent").value());
        assertEquals(1, routed.headers().toArray().length);
        assertTrue(modelTopic(GPT).isEmpty());
        assertTrue(events.isEmpty());
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldRouteToTheMappedTopicWhenModelNameHasASlash() {
        announce(QWEN);
        final byte[] request = encode(chat("req_q", QWEN, START.plusSeconds(60)));

        requests.pipeInput("req_q", request);

        assertNotEquals("llm.requests." + QWEN, topics.modelRequestsName(QWEN));
        assertArrayEquals(request, modelTopic(QWEN).readValue());
        assertTrue(events.isEmpty());
    }

    @Test
    void shouldSendEachModelToItsOwnTopicWhenTwoModelsAreRegistered() {
        announce(GPT);
        announce(QWEN);

        requests.pipeInput("req_a", encode(chat("req_a", GPT, START.plusSeconds(60))));
        requests.pipeInput("req_b", encode(chat("req_b", QWEN, START.plusSeconds(60))));
        requests.pipeInput("req_c", encode(chat("req_c", GPT, START.plusSeconds(60))));

        assertEquals(List.of("req_a", "req_c"), modelTopic(GPT).readKeyValuesToList().stream().map(kv -> kv.key).toList());
        assertEquals(List.of("req_b"), modelTopic(QWEN).readKeyValuesToList().stream().map(kv -> kv.key).toList());
    }

    @Test
    void shouldDeadLetterOriginalBytesWhenJsonIsMalformed() {
        announce(GPT);
        final byte[] garbage = "{\"id\": \"req_1\", \"model\": ".getBytes(StandardCharsets.UTF_8);
        final Headers headers = new RecordHeaders().add("traceparent", "t".getBytes(StandardCharsets.UTF_8));

        requests.pipeInput(new TestRecord<>("req_1", garbage, headers, START));

        final TestRecord<String, byte[]> dead = deadLetters.readRecord();
        assertEquals("req_1", dead.key());
        assertArrayEquals(garbage, dead.value());
        assertTrue(header(dead, DeadLetterHeaders.REASON).startsWith("not a RequestEnvelope"), header(dead, DeadLetterHeaders.REASON));
        assertEquals("router", header(dead, DeadLetterHeaders.STAGE));
        assertEquals(topics.requests().name(), header(dead, DeadLetterHeaders.SOURCE_TOPIC));
        assertEquals("0", header(dead, DeadLetterHeaders.SOURCE_PARTITION));
        assertEquals("0", header(dead, DeadLetterHeaders.SOURCE_OFFSET));
        assertEquals("t", header(dead, "traceparent"));
        assertTrue(events.isEmpty());
        assertTrue(modelTopic(GPT).isEmpty());
    }

    @Test
    void shouldDeadLetterWhenJsonIsNotAnEnvelope() {
        final byte[] notAnEnvelope = "{\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8);
        final byte[] array = "[1,2,3]".getBytes(StandardCharsets.UTF_8);

        requests.pipeInput("k1", notAnEnvelope);
        requests.pipeInput("k2", array);
        requests.pipeInput("k3", (byte[]) null);

        final TestRecord<String, byte[]> first = deadLetters.readRecord();
        assertArrayEquals(notAnEnvelope, first.value());
        assertEquals("envelope has no id", header(first, DeadLetterHeaders.REASON));
        final TestRecord<String, byte[]> second = deadLetters.readRecord();
        assertArrayEquals(array, second.value());
        assertEquals("1", header(second, DeadLetterHeaders.SOURCE_OFFSET));
        final TestRecord<String, byte[]> third = deadLetters.readRecord();
        assertEquals("k3", third.key());
        assertEquals("null value", header(third, DeadLetterHeaders.REASON));
        assertTrue(deadLetters.isEmpty());
        assertTrue(events.isEmpty());
    }

    @Test
    void shouldAnswer400WithParamWhenMessagesAreMissing() {
        announce(GPT);
        final RequestEnvelope request = envelope("req_1", Endpoint.CHAT_COMPLETIONS, GPT,
                "{\"model\":\"" + GPT + "\"}", START.plusSeconds(60), 4);

        requests.pipeInput("req_1", encode(request));

        final TestRecord<String, ResponseEvent> answer = events.readRecord();
        assertEquals("req_1", answer.key());
        assertError(answer.value(), 400, "invalid_request_error", "messages");
        assertEquals(0, answer.value().seq());
        assertEquals(4, answer.value().replyPartition());
        assertTrue(modelTopic(GPT).isEmpty());
    }

    @Test
    void shouldAnswer400WhenCompletionHasNoPrompt() {
        announce(GPT);

        requests.pipeInput("req_1", encode(envelope("req_1", Endpoint.COMPLETIONS, GPT,
                "{\"model\":\"" + GPT + "\",\"max_tokens\":5}", START.plusSeconds(60), 0)));

        assertError(events.readValue(), 400, "invalid_request_error", "prompt");
        assertTrue(modelTopic(GPT).isEmpty());
    }

    @Test
    void shouldAnswer404WhenModelIsNotRegistered() {
        announce(GPT);

        requests.pipeInput("req_1", encode(chat("req_1", "no-such-model", START.plusSeconds(60))));

        final ResponseEvent answer = events.readValue();
        assertError(answer, 404, "invalid_request_error", "model");
        assertEquals("model_not_found", answer.data().get("error").get("code").asText());
        assertTrue(events.isEmpty());
    }

    @Test
    void shouldAnswer404InsteadOfStallingWhenARoutesTopicCannotBeCreated() {
        uncreatableTopics.add(topics.modelRequestsName(QWEN));
        announce(GPT);
        announce(QWEN);

        requests.pipeInput("req_1", encode(chat("req_1", QWEN, START.plusSeconds(60))));
        requests.pipeInput("req_2", encode(chat("req_2", GPT, START.plusSeconds(60))));

        assertError(events.readValue(), 404, "invalid_request_error", "model");
        assertTrue(modelTopic(QWEN).isEmpty());
        assertEquals("req_2", modelTopic(GPT).readRecord().key());
    }

    @Test
    void shouldAnswer504WhenDeadlinePassedBeforeRouting() {
        announce(GPT);
        final Instant deadline = START.plusSeconds(5);

        requests.pipeInput("req_early", encode(chat("req_early", GPT, deadline)));
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        requests.pipeInput("req_late", encode(chat("req_late", GPT, deadline)));

        assertEquals("req_early", modelTopic(GPT).readRecord().key());
        assertTrue(modelTopic(GPT).isEmpty());
        final TestRecord<String, ResponseEvent> answer = events.readRecord();
        assertEquals("req_late", answer.key());
        assertError(answer.value(), 504, "timeout", null);
    }

    @Test
    void shouldAnswer404WhenModelWasRemovedByATombstone() {
        announce(GPT);
        requests.pipeInput("req_1", encode(chat("req_1", GPT, START.plusSeconds(60))));

        models.pipeInput(GPT, (byte[]) null);
        requests.pipeInput("req_2", encode(chat("req_2", GPT, START.plusSeconds(60))));

        assertEquals("req_1", modelTopic(GPT).readRecord().key());
        assertTrue(modelTopic(GPT).isEmpty());
        assertError(events.readValue(), 404, "invalid_request_error", "model");
    }

    @Test
    void shouldKeepRoutingWhenARegistryRecordIsUnreadable() {
        models.pipeInput("broken", "not json at all".getBytes(StandardCharsets.UTF_8));
        announce(GPT);
        announce(QWEN);
        models.pipeInput(QWEN, "{\"model\":".getBytes(StandardCharsets.UTF_8));
        models.pipeInput("bad-topic", encode(new ModelRoute("bad-topic", "llm.requests.bad topic!", "me", 0)));

        requests.pipeInput("req_1", encode(chat("req_1", GPT, START.plusSeconds(60))));
        requests.pipeInput("req_2", encode(chat("req_2", "broken", START.plusSeconds(60))));
        requests.pipeInput("req_3", encode(chat("req_3", QWEN, START.plusSeconds(60))));
        requests.pipeInput("req_4", encode(chat("req_4", "bad-topic", START.plusSeconds(60))));

        assertEquals("req_1", modelTopic(GPT).readRecord().key());
        assertTrue(modelTopic(QWEN).isEmpty(), "an unreadable update makes the model absent");
        final List<ResponseEvent> answers = events.readValuesToList();
        assertEquals(List.of("req_2", "req_3", "req_4"), answers.stream().map(ResponseEvent::id).toList());
        assertEquals(List.of(404, 404, 404), answers.stream().map(ResponseEvent::status).toList());
        assertTrue(deadLetters.isEmpty());
    }

    private void announce(final String model) {
        models.pipeInput(model, encode(new ModelRoute(model, topics.modelRequestsName(model), "test", 1_700_000_000L)));
    }

    private TestOutputTopic<String, byte[]> modelTopic(final String model) {
        return driver.createOutputTopic(topics.modelRequestsName(model), new StringDeserializer(), new ByteArrayDeserializer());
    }

    private byte[] encode(final RequestEnvelope envelope) {
        return topics.requests().valueSerde().encode(envelope);
    }

    private byte[] encode(final ModelRoute route) {
        return topics.models().valueSerde().encode(route);
    }

    private static RequestEnvelope chat(final String id, final String model, final Instant deadline) {
        return envelope(id, Endpoint.CHAT_COMPLETIONS, model,
                "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.70}",
                deadline, 0);
    }

    private static RequestEnvelope envelope(final String id, final Endpoint endpoint, final String model,
                                            final String body, final Instant deadline, final int replyPartition) {
        try {
            return new RequestEnvelope(id, endpoint, model, false, (ObjectNode) Json.MAPPER.readTree(body),
                    START.toEpochMilli(), deadline.toEpochMilli(), replyPartition, "gw-1", null, 1, false);
        } catch (final Exception e) {
            throw new IllegalArgumentException(body, e);
        }
    }

    private static void assertError(final ResponseEvent event, final int status, final String type, final String param) {
        assertEquals(EventType.ERROR, event.type());
        assertEquals(status, event.status());
        assertNotNull(event.data().get("error"), event.data().toString());
        assertEquals(type, event.data().get("error").get("type").asText());
        if (param == null) {
            assertTrue(event.data().get("error").get("param").isNull(), event.data().toString());
        } else {
            assertEquals(param, event.data().get("error").get("param").asText());
        }
    }

    private static String header(final TestRecord<String, byte[]> record, final String name) {
        final Header header = record.headers().lastHeader(name);
        assertNotNull(header, "missing header " + name);
        return new String(header.value(), StandardCharsets.UTF_8);
    }
}
