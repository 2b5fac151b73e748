package io.llmgw.broker;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterLayoutTest {

    @Test
    void shouldPutClientPortsFirstAndControllerPortsAfterThemWhenContiguous() {
        final ClusterLayout layout = ClusterLayout.contiguous(3, 19092);

        assertEquals(List.of(new ClusterLayout.Node(1, 19092, 19095), new ClusterLayout.Node(2, 19093, 19096),
                new ClusterLayout.Node(3, 19094, 19097)), layout.nodes());
        assertEquals("127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094", layout.bootstrapServers());
    }

    @Test
    void shouldMakeEveryNodeAVoterWhenTheCountIsOdd() {
        assertEquals("1@127.0.0.1:19093", ClusterLayout.contiguous(1, 19092).quorumVoters());
        assertEquals("1@127.0.0.1:19095,2@127.0.0.1:19096,3@127.0.0.1:19097",
                ClusterLayout.contiguous(3, 19092).quorumVoters());
        assertEquals(5, ClusterLayout.contiguous(5, 19092).voters().size());
    }

    @Test
    void shouldLeaveTheLastNodeOutOfTheQuorumWhenTheCountIsEven() {
        final ClusterLayout two = ClusterLayout.contiguous(2, 19092);
        final ClusterLayout four = ClusterLayout.contiguous(4, 19092);

        assertEquals("1@127.0.0.1:19094", two.quorumVoters());
        assertFalse(two.isVoter(2));
        assertEquals(3, four.voters().size());
        assertTrue(four.isVoter(3));
        assertFalse(four.isVoter(4));
    }

    @Test
    void shouldReplicateToEveryNodeAndAllowOneMissingWhenThreeOrMore() {
        assertEquals(1, ClusterLayout.contiguous(1, 19092).replicationFactor());
        assertEquals(1, ClusterLayout.contiguous(1, 19092).minInsyncReplicas());
        assertEquals(2, ClusterLayout.contiguous(2, 19092).replicationFactor());
        assertEquals(1, ClusterLayout.contiguous(2, 19092).minInsyncReplicas());
        assertEquals(3, ClusterLayout.contiguous(3, 19092).replicationFactor());
        assertEquals(2, ClusterLayout.contiguous(3, 19092).minInsyncReplicas());
        assertEquals(5, ClusterLayout.contiguous(5, 19092).replicationFactor());
        assertEquals(4, ClusterLayout.contiguous(5, 19092).minInsyncReplicas());
    }

    @Test
    void shouldReadWhatItWritesWhenTheSpecGoesThroughACommandLine() {
        final ClusterLayout layout = ClusterLayout.contiguous(3, 19092);

        assertEquals("1:19092:19095,2:19093:19096,3:19094:19097", layout.spec());
        assertEquals(layout, ClusterLayout.parse(layout.spec()));
        assertEquals(layout, ClusterLayout.parse(" 1:19092:19095, 2:19093:19096 ,3:19094:19097"));
    }

    @Test
    void shouldRefuseWhenIdsOrPortsClashOrAreMissing() {
        assertThrows(IllegalArgumentException.class, () -> ClusterLayout.parse("1:19092:19095,1:19093:19096"));
        assertThrows(IllegalArgumentException.class, () -> ClusterLayout.parse("1:19092:19095,2:19092:19096"));
        assertThrows(IllegalArgumentException.class, () -> ClusterLayout.parse("1:19092:19092"));
        assertThrows(IllegalArgumentException.class, () -> ClusterLayout.parse("1:19092:0,2:19093:19096"));
        assertThrows(IllegalArgumentException.class, () -> ClusterLayout.parse("1:19092"));
        assertThrows(IllegalArgumentException.class, () -> ClusterLayout.parse("0:19092:19095"));
        assertThrows(IllegalArgumentException.class, () -> ClusterLayout.contiguous(0, 19092));
        assertThrows(IllegalArgumentException.class, () -> ClusterLayout.contiguous(3, 65_533));
        assertThrows(IllegalArgumentException.class, () -> ClusterLayout.contiguous(3, 19092).node(4));
    }

    @Test
    void shouldAllowFreePortsWhenAloneOnly() {
        assertEquals(0, ClusterLayout.single(0, 0).nodes().getFirst().port());
    }
}
