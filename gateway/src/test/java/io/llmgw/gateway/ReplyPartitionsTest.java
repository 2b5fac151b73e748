package io.llmgw.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplyPartitionsTest {

    @Test
    void shouldExpandRangesAndSortWhenParsing() {
        assertEquals(List.of(0, 1, 2, 5, 7), ReplyPartitions.parse(" 5, 0-2 ,7,1").partitions());
    }

    @Test
    void shouldPrintTheCompactFormWhenShown() {
        assertEquals("0-2,5,7-8", ReplyPartitions.parse("8,7,5,2,1,0").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "a", "1,,2", "3-1", "-1", "1-", "0-x", "1.5"})
    void shouldRefuseWhenTheSpecIsNotAPartitionList(final String spec) {
        assertThrows(IllegalArgumentException.class, () -> ReplyPartitions.parse(spec));
    }

    @Test
    void shouldRefuseWhenAPartitionIsBeyondTheTopic() {
        final var error = assertThrows(IllegalArgumentException.class,
                () -> ReplyPartitions.parse("0-6").checkAgainst(6));

        assertTrue(error.getMessage().contains("6 partitions"), error.getMessage());
    }

    @Test
    void shouldCoverEveryPartitionWhenAllAreTaken() {
        assertEquals(List.of(0, 1, 2), ReplyPartitions.all(3).partitions());
    }
}
