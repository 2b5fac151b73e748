package io.llmgw.gateway;

import io.llmgw.limits.LimitCommand;
import io.llmgw.limits.LimitDecision;
import io.llmgw.limits.UsageRecord;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Topics;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LimitsTopologyTest {

    private static final Topics TOPICS = new Topics("test");
    private static final long T0 = 1_700_000_000_000L;
    private static final String KEY = "key_00000000000000aa";

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> limits;
    private TestInputTopic<String, byte[]> usage;
    private TestOutputTopic<String, byte[]> decisions;
    private TestOutputTopic<String, byte[]> deadLetters;

    @BeforeEach
    void start() {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "limits-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(LimitsTopology.build(TOPICS), props, Instant.ofEpochMilli(T0));
        limits = driver.createInputTopic(TOPICS.limits().name(), new StringSerializer(), new ByteArraySerializer());
        usage = driver.createInputTopic(TOPICS.usage().name(), new StringSerializer(), new ByteArraySerializer());
        decisions = driver.createOutputTopic(TOPICS.limitDecisions().name(), new StringDeserializer(),
                new ByteArrayDeserializer());
        deadLetters = driver.createOutputTopic(TOPICS.dlqName(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private LimitDecision ask(final LimitCommand command) {
        limits.pipeInput(command.keyId(), TOPICS.limits().valueSerde().encode(command));
        final TestRecord<String, byte[]> answer = decisions.readRecord();
        assertEquals(command.requestId(), answer.key(), "the answer is keyed by the request it answers");
        assertTrue(decisions.isEmpty(), "one answer per reservation");
        return ((Decoded.Ok<LimitDecision>) TOPICS.limitDecisions().valueSerde().decode(answer.value())).value();
    }

    private static LimitCommand reserve(final String id, final Integer rpm, final Integer tpm, final Integer conc,
                                        final long tokens, final long deadlineMs) {
        return LimitCommand.reserve(id, KEY, rpm, tpm, conc, tokens, deadlineMs);
    }

    private void finished(final String id, final long prompt, final long completion) {
        final UsageRecord record = new UsageRecord(id, KEY, "team-a", "m", "chat.completions", prompt, completion,
                true, 200, "completed", 10, 1, T0, T0 + 10);
        usage.pipeInput(KEY, TOPICS.usage().valueSerde().encode(record));
    }

    @Test
    void shouldAdmitExactlyTheRpmOfAKeyAndRefuseTheRestWithTheLimitNamed() {
        final List<LimitDecision> answers = List.of(
                ask(reserve("r1", 2, null, null, 1, T0 + 60_000)),
                ask(reserve("r2", 2, null, null, 1, T0 + 60_000)),
                ask(reserve("r3", 2, null, null, 1, T0 + 60_000)));

        assertEquals(List.of(true, true, false), answers.stream().map(LimitDecision::allowed).toList());
        assertEquals(LimitDecision.RefusedBy.REQUESTS, answers.get(2).refusedBy());
        assertEquals(0, answers.get(2).remainingRequests());
        assertEquals(2, answers.get(2).limitRequests());
        assertNull(answers.get(2).limitTokens(), "no token figures for a key without a token limit");
    }

    @Test
    void shouldSettleTheReservedTokensWithTheUsageRecordOfTheFinishedRequest() {
        assertTrue(ask(reserve("big", null, 100, null, 80, T0 + 60_000)).allowed());
        assertFalse(ask(reserve("r2", null, 100, null, 30, T0 + 60_000)).allowed(), "80 + 30 is over 100");

        finished("big", 6, 4);
        final LimitDecision after = ask(reserve("r3", null, 100, null, 30, T0 + 60_000));

        assertTrue(after.allowed(), "the request used 10 tokens, not 80");
        assertEquals(60, after.remainingTokens());
    }

    @Test
    void shouldIgnoreAUsageRecordOfAKeyWithoutCountersAndStoreNothing() {
        finished("unlimited", 5, 5);

        assertTrue(decisions.isEmpty());
        assertNull(driver.getKeyValueStore(LimitsTopology.STORE).get(KEY));
    }

    @Test
    void shouldFreeAPlaceNobodySettledWhenTheWallClockPassesItsDeadline() {
        assertTrue(ask(reserve("lost", null, null, 1, 1, T0 + 1_000)).allowed());
        assertFalse(ask(reserve("next", null, null, 1, 1, T0 + 120_000)).allowed());

        driver.advanceWallClockTime(Duration.ofMillis(1_000 + KeyCounters.HOLD_GRACE_MS + LimitsTopology.SWEEP.toMillis()));

        assertTrue(ask(reserve("next", null, null, 1, 1, T0 + 120_000)).allowed());
    }

    @Test
    void shouldForgetAKeyWhoseMinuteHasPassedWithNothingRunning() {
        assertTrue(ask(reserve("r1", 5, null, null, 1, T0 + 1_000)).allowed());
        finished("r1", 1, 1);
        assertTrue(driver.getKeyValueStore(LimitsTopology.STORE).get(KEY) != null);

        driver.advanceWallClockTime(Duration.ofSeconds(61));

        assertNull(driver.getKeyValueStore(LimitsTopology.STORE).get(KEY), "an idle key costs no state");
    }

    @Test
    void shouldGiveBackAPlaceWhenTheGatewayReleasesIt() {
        assertTrue(ask(reserve("r1", 1, null, null, 1, T0 + 60_000)).allowed());
        limits.pipeInput(KEY, TOPICS.limits().valueSerde().encode(LimitCommand.release("r1", KEY)));

        assertTrue(ask(reserve("r2", 1, null, null, 1, T0 + 60_000)).allowed());
    }

    @Test
    void shouldDeadLetterAnUnreadableCommandAndGoOn() {
        limits.pipeInput(KEY, "not json".getBytes(StandardCharsets.UTF_8));
        limits.pipeInput(null, TOPICS.limits().valueSerde().encode(LimitCommand.release("r", KEY)));

        assertEquals(2, deadLetters.readRecordsToList().size());
        assertTrue(ask(reserve("r1", 1, null, null, 1, T0 + 60_000)).allowed());
    }

    @Test
    void shouldReadAUsageRecordOnlyForAKeyWithCountersAndDeadLetterItThereWhenUnreadable() {
        usage.pipeInput(KEY, "not json".getBytes(StandardCharsets.UTF_8));
        assertTrue(deadLetters.isEmpty(), "a key without counters: nothing to settle, the record is not decoded");

        assertTrue(ask(reserve("r1", 5, null, null, 1, T0 + 60_000)).allowed());
        usage.pipeInput(KEY, "not json".getBytes(StandardCharsets.UTF_8));

        assertEquals(1, deadLetters.readRecordsToList().size(), "a key with counters: the record had to settle them");
    }
}
