package io.llmgw.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;
import io.llmgw.settings.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code llmgw bench} end to end at a tiny scale: its own broker, stack and gateway processes, every case once, and
 * a results file whose numbers say the paths worked (no errors, no lost chunk), not how fast they were.
 */
class BenchCommandIT {

    @Test
    void shouldMeasureEveryPathAndCaseWithoutErrorsWhenRunSmall(@TempDir final Path out) throws Exception {
        // --quick without settling windows: this checks that every path and case works, not how fast
        BenchCommand.run(Settings.of(Map.of()), List.of("--quick", "--settle-cap", "0", "--rates", "20", "--warmup",
                "0.5", "--duration", "1", "--no-max", "--hops", "--no-peer", "--streams", "5", "--stream-seconds", "1",
                "--waiting", "20", "--out", out.toString()));

        final JsonNode results = Json.MAPPER.readTree(out.resolve("results.json").toFile());
        final JsonNode fixed = results.path("fixedRates");
        assertEquals(List.of("direct", "floor", "gateway"),
                List.of(fixed.get(0).path("path").asText(), fixed.get(1).path("path").asText(),
                        fixed.get(2).path("path").asText()));
        for (final JsonNode step : fixed) {
            assertEquals(0, step.path("load").path("errors").asLong(), step.toString());
            assertEquals(20, step.path("load").path("ok").asLong(), step.toString());
            assertTrue(step.path("load").path("latency").path("p50").asDouble() > 0, step.toString());
        }
        assertEquals(1, results.path("comparisons").size());
        assertEquals(List.of("gateway in", "router", "worker", "gateway out"),
                List.copyOf(Json.MAPPER.convertValue(results.path("hops").path("hops"), Map.class).keySet()));

        for (final JsonNode streams : results.path("streaming")) {
            final JsonNode result = streams.path("result");
            assertEquals(5, result.path("completed").asLong(), streams.toString());
            assertEquals(5 * 20, result.path("chunks").path("received").asLong(), streams.toString());
            assertEquals(0, result.path("chunks").path("lost").asLong() + result.path("chunks").path("duplicated")
                    .asLong() + result.path("chunks").path("reordered").asLong(), streams.toString());
        }

        final JsonNode memory = results.path("memory");
        assertEquals(20, memory.path("pendingAtMeasure").asLong(), memory.toString());
        assertEquals(20, memory.path("requests").path("ok").asLong(), memory.toString());
        assertTrue(Files.size(out.resolve("stack.log")) > 0);
        assertTrue(Files.size(out.resolve("gateway.log")) > 0);
    }
}
