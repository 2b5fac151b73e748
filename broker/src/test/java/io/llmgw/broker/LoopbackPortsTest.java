package io.llmgw.broker;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LoopbackPortsTest {

    @Test
    void shouldChooseDistinctPortsThatCanBeBoundWhenManyAreAskedAtOnce() throws IOException {
        final List<Integer> ports = LoopbackPorts.free(32);

        assertEquals(32, new HashSet<>(ports).size(), ports::toString);
        for (final int port : ports) {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertEquals(port, socket.getLocalPort());
            }
        }
    }
}
