package io.llmgw.schemas;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Kinds of {@link ResponseEvent}: a request emits chunks (streams only), then exactly one terminal event. */
public enum EventType {
    @JsonProperty("chunk") CHUNK,
    @JsonProperty("complete") COMPLETE,
    @JsonProperty("error") ERROR;

    public boolean isTerminal() {
        return this != CHUNK;
    }
}
