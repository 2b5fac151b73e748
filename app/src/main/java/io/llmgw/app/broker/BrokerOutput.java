package io.llmgw.app.broker;

import org.slf4j.Logger;
import org.slf4j.event.Level;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Reads the broker child's merged stdout and stderr to the end. The READY line completes {@link #ready()}; every other
 * line goes to the parent's log at the level the child printed first ({@code WARN QuorumController: ...}), and the
 * last lines are kept for error messages. Reading to the end also keeps the pipe from filling up and blocking the
 * child.
 *
 * <p>Threading: {@link #run()} runs on one reader thread; {@link #lastLines()} and {@link #ready()} may be called
 * from any thread (the deque is guarded by its own monitor).
 */
final class BrokerOutput implements Runnable {

    static final int KEPT_LINES = 40;

    private final InputStream output;
    private final String readyPrefix;
    private final String failedPrefix;
    private final Logger log;
    private final CompletableFuture<String> ready = new CompletableFuture<>();
    private final Deque<String> lastLines = new ArrayDeque<>();
    private volatile String failure;
    private Level currentLevel = Level.INFO;

    BrokerOutput(final InputStream output, final String readyPrefix, final String failedPrefix, final Logger log) {
        this.output = output;
        this.readyPrefix = readyPrefix;
        this.failedPrefix = failedPrefix;
        this.log = log;
    }

    /** Completes with the bootstrap address of the READY line, or exceptionally when the output ends before it. */
    CompletableFuture<String> ready() {
        return ready;
    }

    /** The reason the child gave for a failed start, if it gave one. */
    Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    List<String> lastLines() {
        synchronized (lastLines) {
            return List.copyOf(lastLines);
        }
    }

    @Override
    public void run() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                accept(line);
            }
        } catch (final IOException e) {
            // the stream breaks when the child is destroyed: the same news as its end
        }
        ready.completeExceptionally(new IllegalStateException("the broker process ended its output"));
    }

    void accept(final String line) {
        if (!ready.isDone() && line.startsWith(readyPrefix)) {
            ready.complete(line.substring(readyPrefix.length()).strip());
            return;
        }
        if (line.startsWith(failedPrefix)) {
            failure = line.substring(failedPrefix.length()).strip();
            log.error(failure);
            return;
        }
        synchronized (lastLines) {
            if (lastLines.size() == KEPT_LINES) {
                lastLines.removeFirst();
            }
            lastLines.addLast(line);
        }
        final Level level = levelOf(line);
        if (level != null) {
            currentLevel = level;
        }
        // continuation lines (stack traces) keep the level of the line they continue
        log.atLevel(currentLevel).log(level == null ? line : line.substring(line.indexOf(' ') + 1));
    }

    /** The log level a line starts with, or null for a continuation line. JVM warnings count as WARN. */
    static Level levelOf(final String line) {
        final int space = line.indexOf(' ');
        final String first = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        return switch (first) {
            case "TRACE" -> Level.TRACE;
            case "DEBUG" -> Level.DEBUG;
            case "INFO" -> Level.INFO;
            case "WARN" -> Level.WARN;
            case "WARNING:" -> Level.WARN;
            case "ERROR", "FATAL" -> Level.ERROR;
            default -> null;
        };
    }
}
