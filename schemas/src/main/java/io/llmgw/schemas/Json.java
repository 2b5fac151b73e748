package io.llmgw.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one JSON configuration of the project. Client bodies and upstream chunks are kept as trees parsed with exact
 * decimals, so that {@code "temperature": 0.70} or a 30-digit seed reaches the LLM host as the client wrote it.
 */
public final class Json {

    /*
     * Jackson's default buffer pool is one per thread, and every request here runs on a virtual thread of its own:
     * each parser and generator allocated fresh buffers, and a waiting request kept them. A bounded shared pool
     * recycles them across threads (see BENCHMARKS.md).
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder(
                    JsonFactory.builder().recyclerPool(JsonRecyclerPools.newBoundedPool(256)).build())
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private Json() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }
}
