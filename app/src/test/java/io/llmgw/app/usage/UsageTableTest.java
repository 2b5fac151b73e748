package io.llmgw.app.usage;

import io.llmgw.limits.UsageRecord;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageTableTest {

    private static UsageRecord record(final String key, final String model, final int status, final long prompt,
                                      final long completion, final long latencyMs, final long queueWaitMs) {
        return new UsageRecord("req", "key_x", key, model, "chat.completions", prompt, completion, true, status,
                status == 200 ? "completed" : "failed", latencyMs, queueWaitMs, 0, latencyMs);
    }

    @Test
    void shouldSumRequestsAndTokensPerKeyAndModelAndCountTheFailedOnes() {
        final UsageTable table = new UsageTable();
        table.add(record("team-a", "gpt", 200, 10, 5, 100, 20));
        table.add(record("team-a", "gpt", 429, 0, 0, 300, -1));
        table.add(record("team-a", "qwen", 200, 1, 1, 10, 2));
        table.add(record("team-b", "gpt", 200, 7, 3, 50, 4));

        final List<UsageTable.Row> rows = table.rows();

        assertEquals(List.of("team-a/gpt", "team-a/qwen", "team-b/gpt"),
                rows.stream().map(row -> row.key() + "/" + row.model()).toList());
        final UsageTable.Row first = rows.getFirst();
        assertEquals(2, first.requests());
        assertEquals(1, first.failed());
        assertEquals(15, first.totalTokens());
        assertEquals(1, first.queueWaits(), "a request no worker started has no queue wait");

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        table.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        final List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(4, lines.size());
        assertTrue(lines.get(1).matches("team-a\\s+gpt\\s+2\\s+1\\s+10\\s+5\\s+15\\s+200\\s+20"), lines.get(1));
    }

    @Test
    void shouldReadDurationsInTheShortFormAndRefuseNonsense() {
        assertEquals(Duration.ofSeconds(90), UsageCommand.duration("90s"));
        assertEquals(Duration.ofMinutes(15), UsageCommand.duration("15m"));
        assertEquals(Duration.ofDays(7), UsageCommand.duration("7d"));
        assertEquals(Duration.ofMinutes(15), UsageCommand.duration("PT15M"));
        assertThrows(IllegalArgumentException.class, () -> UsageCommand.duration("soon"));
        assertThrows(IllegalArgumentException.class, () -> UsageCommand.duration("0h"));
        assertThrows(IllegalArgumentException.class, () -> UsageCommand.duration("5w"));
    }
}
