package io.llmgw.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The direct proxy the gateway is compared with: the Portkey OSS gateway ({@code @portkey-ai/gateway} on npm), a
 * Node process in front of the same simulator, measured by the same load generator in the same run. It is found at
 * {@code BENCH_PORTKEY_SCRIPT} (its {@code build/start-server.js}), or installed once with npm into
 * {@code bench/target/peer}; without Node or npm the run goes on without it and says why.
 *
 * <p>Threads: the caller's; the child's output goes to a log file.
 */
final class PortkeyPeer implements AutoCloseable {

    static final String NAME = "portkey";
    static final String SCRIPT_ENV = "BENCH_PORTKEY_SCRIPT";
    /** The version measured in BENCHMARKS.md: a newer one may behave differently. */
    static final String PACKAGE = "@portkey-ai/gateway@1.15.2";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);

    private final Process process;
    private final int port;
    private final URI simulator;

    private PortkeyPeer(final Process process, final int port, final URI simulator) {
        this.process = process;
        this.port = port;
        this.simulator = simulator;
    }

    /** The peer in front of {@code simulator} (its OpenAI base URL), or why there is none. */
    static Result start(final URI simulator, final Path outDir) throws InterruptedException {
        final Optional<Path> script;
        try {
            script = locate(outDir);
        } catch (final IOException e) {
            return new Result(null, "could not install " + PACKAGE + ": " + e.getMessage());
        }
        if (script.isEmpty()) {
            return new Result(null, "no " + SCRIPT_ENV + " and npm could not install " + PACKAGE
                    + " (see " + outDir.resolve("peer-install.log") + ")");
        }
        try {
            final int port = BenchStack.freePorts(1)[0];
            // production mode: no UI and no log streaming, only the proxy
            final ProcessBuilder builder = new ProcessBuilder("node", script.get().toString(), "--port=" + port,
                    "--headless").redirectErrorStream(true).redirectOutput(outDir.resolve("portkey.log").toFile());
            builder.environment().put("NODE_ENV", "production");
            final PortkeyPeer peer = new PortkeyPeer(builder.start(), port, simulator);
            if (!peer.awaitListening()) {
                peer.close();
                return new Result(null, "Portkey did not listen within " + START_TIMEOUT + " (see portkey.log)");
            }
            return new Result(peer, null);
        } catch (final IOException e) {
            return new Result(null, "could not start Portkey (is node on the PATH?): " + e.getMessage());
        }
    }

    /** A started peer, or the reason it was left out of the run; closing it stops the peer. */
    record Result(PortkeyPeer peer, String skipped) implements AutoCloseable {

        static Result notAsked() {
            return new Result(null, "not asked for (--no-peer, or --quick)");
        }

        @Override
        public void close() {
            if (peer != null) {
                peer.close();
            }
        }
    }

    /** The chat endpoint through Portkey: its OpenAI provider with the simulator as custom host. */
    ChatTarget target(final HttpClient client, final String model, final Duration timeout) {
        return new ChatTarget(NAME, client, URI.create("http://127.0.0.1:" + port + "/v1"), model, timeout,
                Map.of("x-portkey-provider", "openai", "x-portkey-custom-host", simulator.toString()));
    }

    long pid() {
        return process.pid();
    }

    private boolean awaitListening() throws InterruptedException {
        final long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return true;
            } catch (final IOException e) {
                // polling: another process's port, with nothing to wait on
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
        return false;
    }

    private static Optional<Path> locate(final Path outDir) throws IOException, InterruptedException {
        final String configured = System.getenv(SCRIPT_ENV);
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured)).filter(Files::isRegularFile);
        }
        final Path prefix = Path.of("bench", "target", "peer").toAbsolutePath();
        final Path script = prefix.resolve(Path.of("node_modules", "@portkey-ai", "gateway", "build",
                "start-server.js"));
        if (Files.isRegularFile(script)) {
            return Optional.of(script);
        }
        Files.createDirectories(prefix);
        final Process npm = new ProcessBuilder(List.of("npm", "install", "--prefix", prefix.toString(), "--no-audit",
                "--no-fund", PACKAGE)).redirectErrorStream(true)
                .redirectOutput(outDir.resolve("peer-install.log").toFile()).start();
        if (!npm.waitFor(INSTALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            npm.destroyForcibly();
            return Optional.empty();
        }
        return npm.exitValue() == 0 && Files.isRegularFile(script) ? Optional.of(script) : Optional.empty();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
