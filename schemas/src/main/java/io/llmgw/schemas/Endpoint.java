package io.llmgw.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The OpenAI API operation a request asks for; {@link #path()} is relative to the host's {@code /v1} base URL. */
public enum Endpoint {
    CHAT_COMPLETIONS("chat.completions", "chat/completions", "messages"),
    COMPLETIONS("completions", "completions", "prompt"),
    EMBEDDINGS("embeddings", "embeddings", "input"),
    /** The Responses API ({@code POST /v1/responses}): streams are typed events, not chat-style chunks. */
    RESPONSES("responses", "responses", "input");

    private final String wireName;
    private final String path;
    private final String requiredField;

    Endpoint(final String wireName, final String path, final String requiredField) {
        this.wireName = wireName;
        this.path = path;
        this.requiredField = requiredField;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** Path below the upstream base URL, without a leading slash: {@code chat/completions}. */
    public String path() {
        return path;
    }

    /** The body field besides {@code model} that this endpoint cannot do without. */
    public String requiredField() {
        return requiredField;
    }

    @JsonCreator
    public static Endpoint fromWireName(final String wireName) {
        for (final Endpoint endpoint : values()) {
            if (endpoint.wireName.equals(wireName)) {
                return endpoint;
            }
        }
        throw new IllegalArgumentException("unknown endpoint: " + wireName);
    }
}
