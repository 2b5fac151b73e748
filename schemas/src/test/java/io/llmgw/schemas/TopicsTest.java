package io.llmgw.schemas;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicsTest {

    private final Topics topics = new Topics("llm");

    @Test
    void shouldNameCoreTopicsUnderThePrefix() {
        assertEquals("llm.requests", topics.requests().name());
        assertEquals("llm.events", topics.events().name());
        assertEquals("llm.control", topics.control().name());
        assertEquals("llm.models", topics.models().name());
        assertEquals("llm.dlq", topics.dlqName());
        assertEquals("prod.events", new Topics("prod").events().name());
    }

    @Test
    void shouldKeepLegalModelNamesAsTheyAre() {
        assertEquals("llm.requests.gpt-4o-mini", topics.modelRequestsName("gpt-4o-mini"));
    }

    @Test
    void shouldMapSlashedModelNamesToALegalDeterministicTopic() {
        final String name = topics.modelRequestsName("Qwen/Qwen2.5-72B-Instruct-AWQ");
        assertTrue(name.matches("llm\\.requests\\.Qwen_Qwen2\\.5-72B-Instruct-AWQ\\.[0-9a-f]{8}"), name);
        assertEquals(name, topics.modelRequestsName("Qwen/Qwen2.5-72B-Instruct-AWQ"));
    }

    @Test
    void shouldNotLetTwoModelsShareATopicWhenTheyDifferOnlyInIllegalCharacters() {
        assertNotEquals(topics.modelRequestsName("a/b"), topics.modelRequestsName("a_b"));
        assertNotEquals(topics.modelRequestsName("a/b"), topics.modelRequestsName("a:b"));
    }

    @Test
    void shouldStayWithinKafkasTopicNameLimitWhenTheModelNameIsHuge() {
        final String name = topics.modelRequestsName("x/".repeat(300));
        assertTrue(name.length() <= 249, "length " + name.length());
        assertTrue(name.matches("[a-zA-Z0-9._-]+"), name);
    }

    @Test
    void shouldRejectAnIllegalPrefix() {
        assertThrows(IllegalArgumentException.class, () -> new Topics("llm/x"));
        assertThrows(IllegalArgumentException.class, () -> new Topics(" "));
    }
}
