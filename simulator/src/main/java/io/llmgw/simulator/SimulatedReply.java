package io.llmgw.simulator;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * What the simulator answers, as a pure function of the request body, so that a test anywhere can compute the exact
 * expected output "token for token" and compare it with what came back through the gateway.
 * <p>
 * The reply echoes the prompt behind {@link #PREFIX}: for chat, the last message with role {@code user} (its string
 * content, or the {@code text} parts of an array content joined by a newline); for completions, the {@code prompt}
 * string or the first element of a {@code prompt} array. {@link #tokenize(String) Tokens} are cut at word boundaries,
 * each token carrying the whitespace before its word, so joining them gives back the text exactly, byte for byte in
 * UTF-8. Every one of the {@code n} choices gets the same tokens.
 *
 * @param tokens       the generated tokens of one choice, after caps and padding
 * @param finishReason {@code "length"} when a token cap cut the reply short, else {@code "stop"}
 * @param promptTokens the prompt size reported in {@code usage}
 */
public record SimulatedReply(List<String> tokens, String finishReason, int promptTokens) {

    public static final String PREFIX = "You said: ";
    public static final String FINISH_STOP = "stop";
    public static final String FINISH_LENGTH = "length";

    /** Padding is ASCII so that {@code SIM_PAYLOAD_BYTES} is exact in bytes as well as in characters. */
    private static final char PADDING = 'x';

    public SimulatedReply {
        tokens = List.copyOf(tokens);
    }

    /**
     * What {@code POST /v1/chat/completions} or {@code /v1/completions} with this body generates for each choice,
     * given the simulator's configuration ({@code SIM_MAX_TOKENS} and {@code SIM_PAYLOAD_BYTES} matter).
     */
    public static SimulatedReply generate(final JsonNode body, final SimulatorConfig config) {
        final List<String> base = tokensFor(body);
        final OptionalLong exact = lenientCount(body.path(InjectedFaults.FIELD).get("tokens"));
        final long wanted = Math.min(exact.orElse(base.size()), InjectedFaults.MAX_TOKENS);
        final long cap = requestedMaxTokens(body).orElse(config.maxTokens());
        final int count = (int) Math.min(wanted, cap);
        final List<String> tokens = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final String token = base.get(i % base.size());
            // a repeated round starts a new word: keep a space between rounds
            tokens.add(i >= base.size() && i % base.size() == 0 ? " " + token : token);
        }
        return new SimulatedReply(pad(tokens, config.payloadBytes()), wanted > cap ? FINISH_LENGTH : FINISH_STOP,
                promptTokensFor(body));
    }

    /** The full echo text of a request, before any token cap. */
    public static String textFor(final JsonNode body) {
        return PREFIX + promptTextOf(body);
    }

    /** {@link #textFor(JsonNode)} cut into tokens. */
    public static List<String> tokensFor(final JsonNode body) {
        return tokenize(textFor(body));
    }

    /**
     * Splits text at word boundaries: each token is a run of whitespace followed by a run of non-whitespace (the last
     * may be whitespace only). Concatenating the tokens gives back the text unchanged.
     */
    public static List<String> tokenize(final String text) {
        final List<String> tokens = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            // surrogate halves are never whitespace, so a pair is never split
            while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            tokens.add(text.substring(start, i));
            start = i;
        }
        return tokens;
    }

    /** Tokens of every message (chat) or of the prompt (completions), as reported in {@code usage.prompt_tokens}. */
    public static int promptTokensFor(final JsonNode body) {
        final JsonNode messages = body.path("messages");
        if (messages.isArray()) {
            int count = 0;
            for (final JsonNode message : messages) {
                count += tokenize(contentText(message.path("content"))).size();
            }
            return count;
        }
        return tokenize(completionPrompt(body.path("prompt"))).size();
    }

    public String text() {
        return String.join("", tokens);
    }

    public int completionTokens() {
        return tokens.size();
    }

    private static String promptTextOf(final JsonNode body) {
        final JsonNode messages = body.path("messages");
        if (messages.isArray()) {
            for (int i = messages.size() - 1; i >= 0; i--) {
                if ("user".equals(messages.get(i).path("role").asText())) {
                    return contentText(messages.get(i).path("content"));
                }
            }
            return "";
        }
        return completionPrompt(body.path("prompt"));
    }

    private static String contentText(final JsonNode content) {
        if (content.isTextual()) {
            return content.textValue();
        }
        final List<String> texts = new ArrayList<>();
        for (final JsonNode part : content) {
            if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
                texts.add(part.path("text").textValue());
            }
        }
        return String.join("\n", texts);
    }

    private static String completionPrompt(final JsonNode prompt) {
        final JsonNode first = prompt.isArray() ? prompt.path(0) : prompt;
        if (first.isTextual()) {
            return first.textValue();
        }
        // token-id prompts have no text to echo; their JSON is deterministic enough
        return first.isMissingNode() || first.isNull() ? "" : first.toString();
    }

    private static OptionalLong requestedMaxTokens(final JsonNode body) {
        final OptionalLong completionTokens = lenientCount(body.get("max_completion_tokens"));
        return completionTokens.isPresent() ? completionTokens : lenientCount(body.get("max_tokens"));
    }

    private static OptionalLong lenientCount(final JsonNode node) {
        return node != null && node.canConvertToExactIntegral() && node.asLong() >= 0
                ? OptionalLong.of(node.asLong()) : OptionalLong.empty();
    }

    private static List<String> pad(final List<String> tokens, final int payloadBytes) {
        final int bytes = tokens.stream().mapToInt(t -> t.getBytes(StandardCharsets.UTF_8).length).sum();
        if (payloadBytes <= bytes || tokens.isEmpty()) {
            return tokens;
        }
        // spread the padding so that every chunk grows, as a payload benchmark wants, and the token count stays
        final int missing = payloadBytes - bytes;
        final List<String> padded = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            final int extra = missing / tokens.size() + (i < missing % tokens.size() ? 1 : 0);
            padded.add(tokens.get(i) + String.valueOf(PADDING).repeat(extra));
        }
        return padded;
    }
}
