package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.batches.StoredFile;
import io.llmgw.schemas.Json;

import java.util.List;

/** OpenAI's file object and file list, as {@code /v1/files} answers them. */
final class FileObjects {

    private FileObjects() {
    }

    static ObjectNode file(final StoredFile file) {
        final ObjectNode node = Json.object();
        node.put("id", file.id());
        node.put("object", "file");
        node.put("bytes", file.bytes());
        node.put("created_at", file.createdAt());
        // files are kept until deleted (README "Batches"): no expiry to report
        node.putNull("expires_at");
        node.put("filename", file.filename());
        node.put("purpose", file.purpose());
        node.put("status", "processed");
        node.putNull("status_details");
        return node;
    }

    static ObjectNode deleted(final String id) {
        final ObjectNode node = Json.object();
        node.put("id", id);
        node.put("object", "file");
        node.put("deleted", true);
        return node;
    }

    /** A page of a list: OpenAI's {@code {"object": "list", "data", "first_id", "last_id", "has_more"}}. */
    static ObjectNode page(final List<ObjectNode> items, final boolean hasMore) {
        final ObjectNode node = Json.object();
        node.put("object", "list");
        final ArrayNode data = node.putArray("data");
        items.forEach(data::add);
        if (items.isEmpty()) {
            node.putNull("first_id");
            node.putNull("last_id");
        } else {
            node.put("first_id", items.getFirst().path("id").asText());
            node.put("last_id", items.getLast().path("id").asText());
        }
        node.put("has_more", hasMore);
        return node;
    }
}
