package io.llmgw.simulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.llmgw.simulator.SimulatorHttp.chat;
import static io.llmgw.simulator.SimulatorHttp.completion;
import static io.llmgw.simulator.SimulatorHttp.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedReplyTest {

    private final SimulatorConfig config = SimulatorConfig.defaults();

    @Test
    void shouldGiveBackTheTextWhenTokensAreJoined() {
        final String text = "  Привет,\tмир!\n\nHello  😀 world ";
        final List<String> tokens = SimulatedReply.tokenize(text);
        assertEquals(text, String.join("", tokens));
        assertEquals(List.of("  Привет,", "\tмир!", "\n\nHello", "  😀", " world", " "), tokens);
    }

    @Test
    void shouldEchoLastUserMessageWhenChatHasSeveral() {
        final ObjectNode body = (ObjectNode) parse("""
                {"model":"m","messages":[
                  {"role":"system","content":"be brief"},
                  {"role":"user","content":"first question"},
                  {"role":"assistant","content":"an answer"},
                  {"role":"user","content":"second question"},
                  {"role":"tool","content":"tool output"}]}""");
        assertEquals("You said: second question", SimulatedReply.textFor(body));
        assertEquals(List.of("You", " said:", " second", " question"), SimulatedReply.tokensFor(body));
    }

    @Test
    void shouldEchoTextPartsWhenContentIsAnArray() {
        final ObjectNode body = (ObjectNode) parse("""
                {"model":"m","messages":[{"role":"user","content":[
                  {"type":"text","text":"look at"},
                  {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},
                  {"type":"text","text":"this"}]}]}""");
        assertEquals("You said: look at\nthis", SimulatedReply.textFor(body));
    }

    @Test
    void shouldEchoPromptOrItsFirstElementWhenCompletion() {
        assertEquals("You said: once upon", SimulatedReply.textFor(completion("once upon")));
        assertEquals("You said: first", SimulatedReply.textFor(parse("{\"prompt\":[\"first\",\"second\"]}")));
    }

    @Test
    void shouldStopWhenReplyFitsTheCap() {
        final SimulatedReply reply = SimulatedReply.generate(chat("short one"), config);
        assertEquals("You said: short one", reply.text());
        assertEquals(SimulatedReply.FINISH_STOP, reply.finishReason());
        assertEquals(4, reply.completionTokens());
        assertEquals(2, reply.promptTokens());
    }

    @Test
    void shouldCutToMaxTokensWithLengthWhenReplyIsLonger() {
        final ObjectNode body = chat("one two three four").put("max_tokens", 3);
        final SimulatedReply reply = SimulatedReply.generate(body, config);
        assertEquals(List.of("You", " said:", " one"), reply.tokens());
        assertEquals(SimulatedReply.FINISH_LENGTH, reply.finishReason());
    }

    @Test
    void shouldPreferMaxCompletionTokensWhenBothCapsAreGiven() {
        final ObjectNode body = chat("one two three four").put("max_tokens", 5).put("max_completion_tokens", 2);
        assertEquals(2, SimulatedReply.generate(body, config).completionTokens());
    }

    @Test
    void shouldApplyConfiguredCapWhenRequestGivesNone() {
        final SimulatedReply reply = SimulatedReply.generate(chat("a b c d e f"), config.withMaxTokens(4));
        assertEquals(4, reply.completionTokens());
        assertEquals(SimulatedReply.FINISH_LENGTH, reply.finishReason());
    }

    @Test
    void shouldRepeatTheEchoWhenExactTokenCountExceedsIt() {
        final ObjectNode body = chat("hi");
        body.putObject("x_sim").put("tokens", 7);
        final SimulatedReply reply = SimulatedReply.generate(body, config);
        assertEquals(List.of("You", " said:", " hi", " You", " said:", " hi", " You"), reply.tokens());
        assertEquals(SimulatedReply.FINISH_STOP, reply.finishReason());
    }

    @Test
    void shouldLetMaxTokensWinWhenExactTokenCountIsAboveIt() {
        final ObjectNode body = chat("hi").put("max_tokens", 2);
        body.putObject("x_sim").put("tokens", 10);
        final SimulatedReply reply = SimulatedReply.generate(body, config);
        assertEquals(2, reply.completionTokens());
        assertEquals(SimulatedReply.FINISH_LENGTH, reply.finishReason());
    }

    @Test
    void shouldPadEveryTokenToPayloadBytesWhenConfigured() {
        final SimulatedReply reply = SimulatedReply.generate(chat("мир"), config.withPayloadBytes(1000));
        assertEquals(1000, reply.text().getBytes(StandardCharsets.UTF_8).length);
        assertEquals(3, reply.completionTokens());
        assertTrue(reply.tokens().get(2).startsWith(" мир"));
        assertTrue(reply.tokens().stream().allMatch(token -> token.endsWith("x")));
    }

    @Test
    void shouldCountTokensOfEveryMessageWhenReportingPromptTokens() {
        final ObjectNode body = Json.object().put("model", "m");
        body.putArray("messages")
                .add(Json.object().put("role", "system").put("content", "a b"))
                .add(Json.object().put("role", "user").put("content", "c d e"));
        assertEquals(5, SimulatedReply.promptTokensFor(body));
    }
}
