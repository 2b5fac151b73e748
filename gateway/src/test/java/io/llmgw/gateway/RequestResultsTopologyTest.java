package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.EventHeaders;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import io.llmgw.schemas.Topics;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestResultsTopologyTest {

    private static final Topics TOPICS = new Topics("test");
    private static final long T0 = 1_700_000_000_000L;
    private static final Duration RETENTION = Duration.ofSeconds(60);

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> events;

    @BeforeEach
    void start() {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "results-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(RequestResultsTopology.build(TOPICS, RETENTION), props,
                Instant.ofEpochMilli(T0));
        events = driver.createInputTopic(TOPICS.events().name(), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static RequestEnvelope request(final String id, final long deadlineMs) {
        return new RequestEnvelope(id, Endpoint.CHAT_COMPLETIONS, "m", true, Json.object(), T0, deadlineMs, 0, "gw",
                null, 1, false);
    }

    private void send(final ResponseEvent event, final long timestampMs) {
        events.pipeInput(event.id(), TOPICS.events().valueSerde().encode(event), timestampMs);
    }

    private org.apache.kafka.streams.TestOutputTopic<String, byte[]> deadLetters() {
        return driver.createOutputTopic(TOPICS.dlqName(), new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer());
    }

    private RequestState state(final String id) {
        final KeyValueStore<String, byte[]> store = driver.getKeyValueStore(RequestResultsTopology.STORE);
        final byte[] bytes = store.get(id);
        return bytes == null ? null : RequestResultsTopology.decode(bytes);
    }

    @Test
    void shouldFollowARequestFromQueuedToCompletedWhenItsEventsPass() {
        final RequestEnvelope request = request("req_1", T0 + 60_000);

        send(ResponseEvent.queued(request), T0);
        assertEquals(RequestStatus.QUEUED, state("req_1").status());
        send(ResponseEvent.started(request), T0 + 5);
        send(ResponseEvent.chunk(request, 0, Events.chatChunk("Hel")), T0 + 6);
        assertEquals(RequestStatus.RUNNING, state("req_1").status());
        send(ResponseEvent.complete(request, 1, null), T0 + 7);

        final RequestState done = state("req_1");
        assertEquals(RequestStatus.COMPLETED, done.status());
        assertEquals(0, done.firstOffset(), "the replay starts at the marker");
        assertEquals(0, done.partition());
    }

    @Test
    void shouldSkipUnreadableEventsAndKeepGoing() {
        events.pipeInput("req_x", "{not json".getBytes(StandardCharsets.UTF_8), T0);
        send(ResponseEvent.queued(request("req_2", T0 + 60_000)), T0);

        assertNull(state("req_x"));
        assertEquals(RequestStatus.QUEUED, state("req_2").status());
    }

    @Test
    void shouldExpireARequestNobodyEndsAfterItsDeadlineAndTheGrace() {
        send(ResponseEvent.queued(request("req_3", T0 + 1_000)), T0);
        send(ResponseEvent.queued(request("req_later", T0 + 60_000)), T0);

        driver.advanceWallClockTime(Duration.ofMillis(1_000).plus(RequestResultsTopology.EXPIRY_GRACE).minusMillis(1));
        assertEquals(RequestStatus.QUEUED, state("req_3").status(), "within the grace a worker may still end it");
        driver.advanceWallClockTime(RequestResultsTopology.EXPIRY_CHECK);

        assertEquals(RequestStatus.EXPIRED, state("req_3").status());
        assertEquals(504, state("req_3").httpStatus());
        assertEquals(RequestStatus.QUEUED, state("req_later").status());
    }

    @Test
    void shouldNotExpireARequestThatEndedBeforeItsDeadline() {
        final RequestEnvelope request = request("req_5", T0 + 1_000);
        send(ResponseEvent.queued(request), T0);
        send(ResponseEvent.complete(request, 0, Events.completion("in time")), T0 + 500);

        driver.advanceWallClockTime(Duration.ofSeconds(10));

        assertEquals(RequestStatus.COMPLETED, state("req_5").status());
    }

    @Test
    void shouldForgetAFinishedRequestOnceItsRetentionHasPassed() {
        final RequestEnvelope request = request("req_4", T0 + 60_000);
        send(ResponseEvent.queued(request), T0);
        send(ResponseEvent.error(request, 0, ApiError.upstream(502, "down")), T0 + 1);

        driver.advanceWallClockTime(RETENTION.minusSeconds(10));
        assertEquals(RequestStatus.FAILED, state("req_4").status());
        driver.advanceWallClockTime(Duration.ofSeconds(20));

        assertNull(state("req_4"));
    }

    private java.util.List<String> forgetOrder() {
        final KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]> index =
                driver.getKeyValueStore(ForgetIndex.STORE);
        final java.util.List<String> entries = new java.util.ArrayList<>();
        try (var all = index.all()) {
            all.forEachRemaining(entry -> entries.add(ForgetIndex.idOf(entry.key) + "@"
                    + (ForgetIndex.forgetAtOf(entry.key) - T0)));
        }
        return entries;
    }

    @Test
    void shouldKeepOneForgetEntryPerRequestInForgetOrderAndSweepOnlyTheDueOnes() {
        final RequestEnvelope late = request("req_late", T0 + 600_000);
        final RequestEnvelope early = request("req_early", T0 + 600_000);
        final RequestEnvelope undated = request("req_undated", 0);
        send(ResponseEvent.queued(late), T0);
        send(ResponseEvent.queued(undated), T0);
        assertEquals(java.util.List.of("req_undated@60000"), forgetOrder(),
                "a request with a deadline waits for its expiry; one without is forgotten a retention after it came");

        driver.advanceWallClockTime(Duration.ofSeconds(5));
        send(ResponseEvent.queued(early), T0 + 5_000);
        send(ResponseEvent.complete(early, 0, Events.completion("first")), T0 + 5_001);
        driver.advanceWallClockTime(Duration.ofSeconds(5));
        send(ResponseEvent.complete(late, 0, Events.completion("second")), T0 + 10_000);
        assertEquals(java.util.List.of("req_undated@60000", "req_early@65000", "req_late@70000"), forgetOrder(),
                "a finished request's entry moves to its finish plus the retention, and no older entry stays");

        driver.advanceWallClockTime(Duration.ofSeconds(56)); // T0 + 66 s, a sweep: past the first two, not the third
        assertNull(state("req_undated"));
        assertNull(state("req_early"));
        assertEquals(RequestStatus.COMPLETED, state("req_late").status());
        assertEquals(java.util.List.of("req_late@70000"), forgetOrder());

        driver.advanceWallClockTime(RequestResultsTopology.sweepInterval(RETENTION)); // the next sweep, at 72 s
        assertNull(state("req_late"));
        assertEquals(java.util.List.of(), forgetOrder());
    }

    @Test
    void shouldForgetARequestFirstSeenWhenItWasAlreadyDueAtTheNextSweep() {
        driver.advanceWallClockTime(Duration.ofSeconds(70)); // sweeps at 6, 12, ..., 66 s found nothing
        send(ResponseEvent.queued(request("req_old", 0)), T0 + 70_000); // accepted at T0, read 70 s later
        assertEquals(java.util.List.of("req_old@60000"), forgetOrder());

        driver.advanceWallClockTime(Duration.ofSeconds(2)); // the sweep at 72 s starts before the last sweep's time

        assertNull(state("req_old"));
        assertEquals(java.util.List.of(), forgetOrder());
    }

    @Test
    void shouldSweepOftenForShortRetentionsAndAtMostOnceAMinute() {
        assertEquals(Duration.ofMillis(100), RequestResultsTopology.sweepInterval(Duration.ofMillis(200)));
        assertEquals(Duration.ofSeconds(1), RequestResultsTopology.sweepInterval(Duration.ofSeconds(10)));
        assertEquals(Duration.ofMinutes(1), RequestResultsTopology.sweepInterval(Duration.ofHours(1)));
    }

    @Test
    void shouldDeadLetterUnreadableEventsAndKeepGoingWhenTheyArrive() {
        final org.apache.kafka.streams.TestOutputTopic<String, byte[]> dlq = deadLetters();
        final RequestEnvelope request = request("req_p", T0 + 60_000);

        events.pipeInput(null, TOPICS.events().valueSerde().encode(ResponseEvent.queued(request)), T0);
        events.pipeInput("req_p", null, T0);
        events.pipeInput("req_p", "not json".getBytes(StandardCharsets.UTF_8), T0);
        events.pipeInput("req_p", "{\"id\":\"req_p\",\"seq\":[]}".getBytes(StandardCharsets.UTF_8), T0);
        events.pipeInput("req_other", TOPICS.events().valueSerde().encode(ResponseEvent.queued(request)), T0);
        send(ResponseEvent.queued(request), T0 + 1);

        final java.util.List<org.apache.kafka.streams.test.TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
        assertEquals(5, dead.size());
        for (final var record : dead) {
            assertEquals(RequestResultsTopology.STAGE, new String(record.headers()
                    .lastHeader(io.llmgw.schemas.DeadLetterHeaders.STAGE).value(), StandardCharsets.UTF_8));
        }
        assertNull(state("req_other"));
        assertEquals(RequestStatus.QUEUED, state("req_p").status());
    }

    private java.util.List<io.llmgw.limits.UsageRecord> usageRecords(
            final org.apache.kafka.streams.TestOutputTopic<String, byte[]> usage) {
        return usage.readRecordsToList().stream()
                .map(record -> {
                    final io.llmgw.limits.UsageRecord value = ((io.llmgw.schemas.Decoded.Ok<io.llmgw.limits.UsageRecord>)
                            TOPICS.usage().valueSerde().decode(record.value())).value();
                    assertEquals(value.keyId(), record.key(), "keyed by key id, as the limits app reads it");
                    return value;
                })
                .toList();
    }

    private org.apache.kafka.streams.TestOutputTopic<String, byte[]> usageTopic() {
        return driver.createOutputTopic(TOPICS.usage().name(),
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer());
    }

    @Test
    void shouldWriteOneUsageRecordWithTheHostsTokensWhenARequestCompletesEvenIfItsEndArrivesTwice() {
        final var usage = usageTopic();
        final RequestEnvelope request = new RequestEnvelope("req_u", Endpoint.CHAT_COMPLETIONS, "m", false,
                Json.object(), T0, T0 + 60_000, 0, "gw", "key_1234", 1, false);
        final com.fasterxml.jackson.databind.node.ObjectNode completion = Events.completion("hi");
        completion.putObject("usage").put("prompt_tokens", 11).put("completion_tokens", 7);

        send(ResponseEvent.queued(request), T0);
        send(ResponseEvent.started(request), T0 + 40);
        send(ResponseEvent.complete(request, 0, completion), T0 + 100);
        send(ResponseEvent.complete(request, 0, completion), T0 + 150);

        final java.util.List<io.llmgw.limits.UsageRecord> records = usageRecords(usage);
        assertEquals(1, records.size(), "a repeated terminal event writes no second record");
        final io.llmgw.limits.UsageRecord record = records.getFirst();
        assertEquals("req_u", record.requestId());
        assertEquals("key_1234", record.keyId());
        assertEquals(io.llmgw.limits.UsageRecord.STATIC_KEY, record.keyName(), "a key the table does not know");
        assertEquals("m", record.model());
        assertEquals("chat.completions", record.endpoint());
        assertEquals(11, record.promptTokens());
        assertEquals(7, record.completionTokens());
        assertEquals(200, record.status());
        assertEquals("completed", record.outcome());
        assertEquals(100, record.latencyMs());
        assertEquals(40, record.queueWaitMs());
    }

    @Test
    void shouldCountAStreamsUsageChunkAndWriteARecordForARequestThatExpired() {
        final var usage = usageTopic();
        final RequestEnvelope streamed = request("req_s", T0 + 60_000);
        final com.fasterxml.jackson.databind.node.ObjectNode usageChunk = Events.chatChunk("");
        usageChunk.putObject("usage").put("prompt_tokens", 3).put("completion_tokens", 5);
        send(ResponseEvent.queued(streamed), T0);
        send(ResponseEvent.chunk(streamed, 0, usageChunk), T0 + 10);
        send(ResponseEvent.complete(streamed, 1, null), T0 + 11);
        send(ResponseEvent.queued(request("req_e", T0 + 1_000)), T0);

        driver.advanceWallClockTime(Duration.ofMillis(1_000).plus(RequestResultsTopology.EXPIRY_GRACE)
                .plus(RequestResultsTopology.EXPIRY_CHECK));

        final java.util.List<io.llmgw.limits.UsageRecord> records = usageRecords(usage);
        assertEquals(java.util.List.of("req_s", "req_e"), records.stream().map(r -> r.requestId()).toList());
        assertEquals(8, records.get(0).totalTokens());
        assertEquals(io.llmgw.limits.UsageRecord.NO_KEY, records.get(0).keyId());
        assertEquals(504, records.get(1).status());
        assertEquals("expired", records.get(1).outcome());
        assertEquals(-1, records.get(1).queueWaitMs(), "no worker started it");
        assertEquals(false, records.get(1).usageReported());
    }

    @Test
    void shouldSkipTheChunksOfARunningRequestButStillDeadLetterABrokenOneAndTakeItsEnd() {
        final org.apache.kafka.streams.TestOutputTopic<String, byte[]> dlq = deadLetters();
        final RequestEnvelope request = request("req_s", T0 + 60_000);
        send(ResponseEvent.chunk(request, 0, Events.chatChunk("Hel")), T0);
        final RequestState running = state("req_s");
        assertEquals(RequestStatus.RUNNING, running.status());
        assertEquals("m", running.model(), "described by its first chunk");

        for (int seq = 1; seq <= 50; seq++) {
            send(ResponseEvent.chunk(request, seq, Events.chatChunk("lo")), T0 + seq);
        }
        assertEquals(running, state("req_s"), "later chunks change nothing");
        events.pipeInput("req_s", "{\"id\":\"req_s\",\"seq\":51,\"type\":\"chunk\",\"data\":{\"x\":"
                .getBytes(StandardCharsets.UTF_8), T0 + 60);
        assertEquals(1, dlq.readRecordsToList().size(), "a truncated chunk is still dead-lettered");
        send(ResponseEvent.complete(request, 51, null), T0 + 70);

        assertEquals(RequestStatus.COMPLETED, state("req_s").status());
    }

    @Test
    void shouldSkipAChunkByItsTypeHeaderWithoutReadingItOnlyWhileItsRequestRuns() {
        final org.apache.kafka.streams.TestOutputTopic<String, byte[]> dlq = deadLetters();
        final RequestEnvelope request = request("req_h", T0 + 60_000);
        final byte[] unreadable = "{\"id\":\"req_h\",\"seq\":1,\"type\":\"chunk\",\"data\":{\"x\":"
                .getBytes(StandardCharsets.UTF_8);
        final org.apache.kafka.common.header.Headers chunkHeader = EventHeaders.of(ResponseEvent.chunk(request, 1,
                Events.chatChunk("lo")));

        // not running yet: the header alone is not trusted, the record is read and dead-lettered
        events.pipeInput(new org.apache.kafka.streams.test.TestRecord<>("req_h", unreadable, chunkHeader, T0));
        assertEquals(1, dlq.readRecordsToList().size());
        send(ResponseEvent.chunk(request, 0, Events.chatChunk("Hel")), T0 + 1);
        final RequestState running = state("req_h");
        assertEquals(RequestStatus.RUNNING, running.status());

        events.pipeInput(new org.apache.kafka.streams.test.TestRecord<>("req_h", unreadable, chunkHeader, T0 + 2));
        assertTrue(dlq.isEmpty(), "a running request's chunk, told by its header, is not read at all");
        assertEquals(running, state("req_h"));
        events.pipeInput("req_h", unreadable, T0 + 3);
        assertEquals(1, dlq.readRecordsToList().size(), "without the header it is peeked at, and this one is broken");
    }

    @Test
    void shouldStillReadTheChunksOfAResponsesStreamForItsFinalResponse() {
        final RequestEnvelope request = new RequestEnvelope("req_r", Endpoint.RESPONSES, "m", true, Json.object(), T0,
                T0 + 60_000, 0, "gw", null, 1, false);
        send(ResponseEvent.chunk(request, 0, Json.MAPPER.createObjectNode().put("type", "response.created")), T0);
        final com.fasterxml.jackson.databind.node.ObjectNode done = Json.MAPPER.createObjectNode()
                .put("type", "response.completed");
        done.putObject("response").put("id", "resp_1").put("status", "completed");
        send(ResponseEvent.chunk(request, 1, done), T0 + 1);

        assertEquals("resp_1", state("req_r").response().path("id").asText(),
                "a Responses request's chunks are not skipped: the last one holds the response");
    }
}
