package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class ResponseIdsTest {

    @Test
    void shouldMapARequestIdToItsResponseIdAndBack() {
        assertEquals("resp_0b00c21ca8647b6437b22ca8", ResponseIds.of("req_0b00c21ca8647b6437b22ca8"));
        assertEquals("req_0b00c21ca8647b6437b22ca8", ResponseIds.requestOf("resp_0b00c21ca8647b6437b22ca8"));
    }

    @Test
    void shouldKnowNoRequestForAnIdThatIsNotAResponseId() {
        assertNull(ResponseIds.requestOf("req_0b00"));
        assertNull(ResponseIds.requestOf("resp_"));
        assertNull(ResponseIds.requestOf(null));
    }

    @Test
    void shouldPutOurIdInACopyAndKeepTheHostsAsUpstreamId() {
        final JsonNode hosts = Json.object().put("id", "resp_host").put("status", "completed");

        final JsonNode ours = ResponseIds.rewritten(hosts, "req_ab");

        assertEquals("resp_ab", ours.get("id").asText());
        assertEquals("resp_host", ours.get(ResponseIds.UPSTREAM_ID).asText());
        assertEquals("resp_host", hosts.get("id").asText(), "the stored object is not changed");
        assertFalse(ResponseIds.rewritten(ours, "req_ab").get(ResponseIds.UPSTREAM_ID).asText().equals("resp_ab"));
    }
}
