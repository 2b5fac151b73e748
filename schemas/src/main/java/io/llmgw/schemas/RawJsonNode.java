package io.llmgw.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A JSON value carried as its text, written out as it came: a stream chunk the worker relays without reading it
 * into a tree and writing the tree again (two thirds of the worker's CPU per chunk went to those two steps at 1,000
 * streams). Only text that a parser has read to its end as one JSON value may be wrapped ({@code ChunkScan} in the
 * worker does that), since it is copied into the event's JSON unchanged. A reader of the event decodes a plain tree;
 * inside the worker nothing reads a chunk's fields, and {@link #tree()} is there for whoever must.
 *
 * <p>Immutable, like the trees it stands for.
 */
public final class RawJsonNode extends POJONode {

    private static final long serialVersionUID = 1L;

    private final String json;
    private final transient JsonNode usage;

    /**
     * @param json  one complete JSON value
     * @param usage its top-level {@code usage} object, read beside it, or null: {@link ResponseEvent} carries it
     */
    public RawJsonNode(final String json, final JsonNode usage) {
        super(new RawValue(json));
        this.json = json;
        this.usage = usage;
    }

    public String json() {
        return json;
    }

    /** The value's top-level {@code usage}, or null when it has none (or it is null). */
    public JsonNode usage() {
        return usage;
    }

    /** The value as a tree, parsed now. */
    public JsonNode tree() {
        try {
            return Json.MAPPER.readTree(json);
        } catch (final IOException e) {
            throw new UncheckedIOException("a raw JSON node holds text that is not JSON", e);
        }
    }
}
