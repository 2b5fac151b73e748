package io.llmgw.gateway;

import io.llmgw.batches.BatchError;
import io.llmgw.schemas.Endpoint;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

class BatchInputTest {

    private final RequestValidator validator = new RequestValidator(FakeModels.of("gpt-4o-mini"));

    private static String chat(final String customId, final String model) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}";
    }

    private BatchInput.Outcome parse(final String... lines) {
        return BatchInput.parse(String.join("\n", lines).getBytes(StandardCharsets.UTF_8), Endpoint.CHAT_COMPLETIONS,
                validator);
    }

    @Test
    void shouldKeepLinesInOrderAndSkipBlankOnes() {
        final var valid = assertInstanceOf(BatchInput.Outcome.Valid.class, parse(chat("a", "gpt-4o-mini"), "",
                "  ", chat("b", "gpt-4o-mini")));
        assertEquals(List.of("a", "b"), valid.lines().stream().map(BatchInput.Line::customId).toList());
        assertEquals(List.of(0, 1), valid.lines().stream().map(BatchInput.Line::index).toList());
        assertEquals(List.of(1, 4), valid.lines().stream().map(BatchInput.Line::lineNumber).toList());
        assertNull(valid.lines().getFirst().error());
    }

    @Test
    void shouldKeepALineWithAnUnknownModelOrABadBodyWithItsErrorForTheErrorFile() {
        final var valid = assertInstanceOf(BatchInput.Outcome.Valid.class, parse(chat("a", "nope"),
                "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":"
                        + "\"gpt-4o-mini\"}}",
                chat("c", "gpt-4o-mini").replace("\"model\"", "\"stream\":true,\"model\"")));
        assertEquals(404, valid.lines().get(0).error().status());
        assertEquals("messages", valid.lines().get(1).error().param());
        assertEquals("stream", valid.lines().get(2).error().param());
    }

    @Test
    void shouldRefuseALineWhoseModelTheBatchsKeyMayNotCallAsAnUnknownModel() {
        final var valid = assertInstanceOf(BatchInput.Outcome.Valid.class, BatchInput.parse(
                chat("a", "gpt-4o-mini").getBytes(StandardCharsets.UTF_8), Endpoint.CHAT_COMPLETIONS, validator,
                model -> false));
        assertEquals("model_not_found", valid.lines().getFirst().error().code());
    }

    @Test
    void shouldFailTheFileNamingEachBadLineWhenLinesAreMalformed() {
        final var invalid = assertInstanceOf(BatchInput.Outcome.Invalid.class, parse(
                chat("a", "gpt-4o-mini"),
                "[1, 2]",
                chat("a", "gpt-4o-mini"),
                chat("d", "gpt-4o-mini").replace("\"POST\"", "\"GET\""),
                chat("e", "gpt-4o-mini").replace("/v1/chat/completions", "/v1/embeddings"),
                "{\"custom_id\":\"f\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\"}"));
        assertEquals(List.of(2, 3, 4, 5, 6), invalid.errors().stream().map(BatchError::line).toList());
        assertEquals(List.of("invalid_json_line", "duplicate_custom_id", "invalid_method", "mismatched_endpoint",
                "missing_required_parameter"), invalid.errors().stream().map(BatchError::code).toList());
    }

    @Test
    void shouldFailAnEmptyFile() {
        final var invalid = assertInstanceOf(BatchInput.Outcome.Invalid.class, parse("", "  "));
        assertEquals("empty_file", invalid.errors().getFirst().code());
    }

    @Test
    void shouldListAtMostAHundredProblemsAndCountTheRest() {
        final String[] lines = new String[150];
        java.util.Arrays.fill(lines, "not json");
        final var invalid = assertInstanceOf(BatchInput.Outcome.Invalid.class, parse(lines));
        assertEquals(BatchInput.MAX_ERRORS + 1, invalid.errors().size());
        assertEquals("too_many_errors", invalid.errors().getLast().code());
    }
}
