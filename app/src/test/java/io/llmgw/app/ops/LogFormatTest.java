package io.llmgw.app.ops;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestLog;
import io.llmgw.settings.Settings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The production logback.xml, configured as the launcher configures it, writing to a captured stdout. */
class LogFormatTest {

    private final PrintStream originalOut = System.out;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private LoggerContext context;

    @AfterEach
    void restore() {
        System.setOut(originalOut);
        if (context != null) {
            context.stop();
        }
        System.clearProperty(LogFormat.FORMAT);
        System.clearProperty(LogFormat.LEVEL);
    }

    private List<String> logTwoLines(final Map<String, String> settings) throws JoranException {
        LogFormat.apply(Settings.of(settings));
        context = new LoggerContext();
        // the MDC that RequestLog writes to (org.slf4j.MDC) is the global logback context's
        context.setMDCAdapter(MDC.getMDCAdapter());
        final JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        configurator.doConfigure(LogFormat.class.getResource("/logback.xml"));
        final Logger log = context.getLogger("io.llmgw.test.Lines");
        try (RequestLog.Scope ignored = RequestLog.scope("req_42")) {
            log.info("about {}", "one request");
        }
        log.warn("about the process");
        System.out.flush();
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void shouldWriteOneJsonObjectPerLineWithTheRequestIdWhenLogFormatIsJson() throws Exception {
        final List<String> lines = logTwoLines(Map.of("LOG_FORMAT", "JSON"));

        assertEquals(2, lines.size(), String.join("\n", lines));
        final JsonNode first = json(lines.get(0));
        assertEquals("INFO", first.path("level").asText());
        assertEquals("about one request", first.path("formattedMessage").asText());
        assertEquals("req_42", first.path("mdc").path("request_id").asText());
        assertEquals("io.llmgw.test.Lines", first.path("loggerName").asText());
        final JsonNode second = json(lines.get(1));
        assertEquals("about the process", second.path("formattedMessage").asText());
        assertTrue(second.path("mdc").path("request_id").isMissingNode(), "no id outside the request's scope");
    }

    @Test
    void shouldShowTheRequestIdInBracketsOnlyOnItsLinesWhenLogFormatIsText() throws Exception {
        final List<String> lines = logTwoLines(Map.of());

        assertEquals(2, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).endsWith("INFO  Lines                        [req_42] about one request"), lines.get(0));
        assertTrue(lines.get(1).endsWith("WARN  Lines                        about the process"), lines.get(1));
        assertFalse(lines.get(1).contains("[]"));
    }

    @Test
    void shouldDropLinesBelowTheLevelWhenLogLevelIsSet() throws Exception {
        final List<String> lines = logTwoLines(Map.of("LOG_LEVEL", "warn"));

        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.getFirst().contains("about the process"));
    }

    @Test
    void shouldRefuseAnUnknownFormatOrLevelWhenApplied() {
        final IllegalArgumentException format = assertThrows(IllegalArgumentException.class,
                () -> LogFormat.apply(Settings.of(Map.of("LOG_FORMAT", "xml"))));
        assertTrue(format.getMessage().startsWith("LOG_FORMAT must be text or json"), format.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LogFormat.apply(Settings.of(Map.of("LOG_LEVEL", "LOUD"))));
    }

    private static JsonNode json(final String line) throws IOException {
        return Json.MAPPER.readTree(line);
    }
}
