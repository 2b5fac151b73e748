package io.llmgw.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free TCP ports on 127.0.0.1. The broker needs concrete port numbers before it starts, because the controller
 * quorum voters and the formatted log dir name them; Kafka's own "port 0" cannot express that.
 */
public final class LoopbackPorts {

    private LoopbackPorts() {
    }

    /** A port that was free a moment ago; another process may still take it before the broker binds it. */
    public static int free() {
        return free(1).get(0);
    }

    /**
     * {@code count} distinct ports that were free a moment ago. Each is held open until all are chosen, so none comes
     * back twice; ports next to a free one are not: with other processes connecting, they may be taken.
     */
    public static List<Integer> free(final int count) {
        final List<ServerSocket> held = new ArrayList<>();
        try {
            final List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                final ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(socket);
                ports.add(socket.getLocalPort());
            }
            return List.copyOf(ports);
        } catch (final IOException e) {
            throw new UncheckedIOException("no " + count + " free ports on 127.0.0.1", e);
        } finally {
            for (final ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (final IOException ignored) {
                    // the port is still chosen; a socket that fails to close frees it when this JVM exits
                }
            }
        }
    }
}
