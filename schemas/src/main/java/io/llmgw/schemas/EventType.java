package io.llmgw.schemas;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Kinds of {@link ResponseEvent}: a request emits chunks (streams only), then exactly one terminal event. Besides these,
 * two lifecycle markers tell observers where a request stands without being part of any client's reply:
 * {@link #QUEUED} (the gateway published it) and {@link #STARTED} (a worker began calling the LLM host).
 */
public enum EventType {
    @JsonProperty("chunk") CHUNK,
    @JsonProperty("complete") COMPLETE,
    @JsonProperty("error") ERROR,
    @JsonProperty("queued") QUEUED,
    @JsonProperty("started") STARTED;

    public boolean isTerminal() {
        return this == COMPLETE || this == ERROR;
    }

    /** A lifecycle marker ({@link #QUEUED}, {@link #STARTED}): never delivered to a client, seq {@value ResponseEvent#MARKER_SEQ}. */
    public boolean isMarker() {
        return this == QUEUED || this == STARTED;
    }
}
