package io.llmgw.app.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * One HTTP/1.1 request on a plain socket, for what no HTTP client lets a test do: drop the connection at a moment of
 * its choosing, as a client that crashes or gives up does.
 */
final class RawHttp implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private Instant closedAt;

    private RawHttp(final Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    /** Sends {@code POST <url>} with a JSON body and returns without reading anything. */
    static RawHttp post(final String url, final String body, final String... headers) throws IOException {
        final URI uri = URI.create(url);
        final RawHttp http = new RawHttp(new Socket(uri.getHost(), uri.getPort()));
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        final StringBuilder head = new StringBuilder("POST " + uri.getRawPath() + " HTTP/1.1\r\n")
                .append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Content-Length: ").append(bytes.length).append("\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        head.append("\r\n");
        http.socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.US_ASCII));
        http.socket.getOutputStream().write(bytes);
        http.socket.getOutputStream().flush();
        return http;
    }

    /** The next line of the response (status line, headers, chunk sizes and body lines alike), or null at its end. */
    String readLine() throws IOException {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return b == -1 && line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    /** Reads lines until one starts with {@code prefix}; fails at the end of the response. */
    String readUntil(final String prefix) throws IOException {
        for (String line = readLine(); line != null; line = readLine()) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new AssertionError("the response ended before a line starting with " + prefix);
    }

    /** When {@link #close()} dropped the connection. */
    Instant closedAt() {
        return closedAt;
    }

    @Override
    public void close() throws IOException {
        if (closedAt == null) {
            closedAt = Instant.now();
            socket.close();
        }
    }
}
