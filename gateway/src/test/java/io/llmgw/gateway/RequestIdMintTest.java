package io.llmgw.gateway;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestIdMintTest {

    @Test
    void shouldOnlyMakeIdsThatKafkaPartitionsOntoOwnedPartitionsWhenMinting() {
        final RequestIdMint mint = new RequestIdMint(ReplyPartitions.parse("2,4,9"), 12);
        final Set<Integer> used = new HashSet<>();

        IntStream.range(0, 300).forEach(i -> {
            final String id = mint.next();
            assertTrue(id.matches("req_[0-9a-f]{24}"), id);
            final int partition = mint.partitionOf(id);
            // the producer's own choice for this key, which is also what interactive-query metadata computes
            assertEquals(BuiltInPartitioner.partitionForKey(id.getBytes(StandardCharsets.UTF_8), 12), partition);
            used.add(partition);
        });

        assertEquals(Set.of(2, 4, 9), used, "spread over every owned partition");
    }

    @Test
    void shouldRefuseReplyPartitionsTheEventsTopicDoesNotHave() {
        assertThrows(IllegalArgumentException.class, () -> new RequestIdMint(ReplyPartitions.parse("0-6"), 6));
    }
}
