package io.llmgw.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.ModelRoute;

import java.util.List;

/** Model routes as the OpenAI API shows models: {@code {"id", "object": "model", "created", "owned_by"}}. */
final class ModelObjects {

    private ModelObjects() {
    }

    static ObjectNode list(final List<ModelRoute> routes) {
        final ObjectNode list = Json.object();
        list.put("object", "list");
        final ArrayNode data = list.putArray("data");
        routes.forEach(route -> data.add(model(route)));
        return list;
    }

    static ObjectNode model(final ModelRoute route) {
        final ObjectNode model = Json.object();
        model.put("id", route.model());
        model.put("object", "model");
        model.put("created", route.createdEpochS());
        model.put("owned_by", route.ownedBy() == null ? "llmgw" : route.ownedBy());
        return model;
    }
}
