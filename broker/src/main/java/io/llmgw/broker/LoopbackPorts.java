package io.llmgw.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Free TCP ports on 127.0.0.1. The broker needs concrete port numbers before it starts, because the controller
 * quorum voters and the formatted log dir name them; Kafka's own "port 0" cannot express that.
 */
public final class LoopbackPorts {

    private LoopbackPorts() {
    }

    /** A port that was free a moment ago; another process may still take it before the broker binds it. */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }
}
