package io.llmgw.bench;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;

import java.io.IOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * JFR recordings ({@code profile} settings) of every process during one step: the gateway and stack nodes record
 * themselves on command, the broker through {@code jcmd}, and this JVM (load generator and Kafka floor) in process.
 */
final class Profiler {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final String RECORDING = "llmgw-bench";
    /** A step lasts seconds, and the CPU breakdown needs several readings per thread: JFR's default is 10 s. */
    private static final Duration CPU_PERIOD = Duration.ofSeconds(1);
    private static final List<String> CPU_EVENTS = List.of("jdk.ThreadCPULoad", "jdk.CPULoad");

    private final BenchStack stack;
    private final Map<String, Path> files;
    private final Recording own;

    private Profiler(final BenchStack stack, final Map<String, Path> files, final Recording own) {
        this.stack = stack;
        this.files = files;
        this.own = own;
    }

    static Profiler start(final BenchStack stack, final Path dir) throws IOException, InterruptedException {
        final Map<String, Path> files = new LinkedHashMap<>();
        files.put("gateway", dir.resolve("gateway.jfr").toAbsolutePath());
        files.put("stack", dir.resolve("stack.jfr").toAbsolutePath());
        stack.gateway().command("jfr-start " + files.get("gateway"), COMMAND_TIMEOUT);
        stack.stack().command("jfr-start " + files.get("stack"), COMMAND_TIMEOUT);
        final Optional<Long> broker = stack.brokerPid();
        if (broker.isPresent()) {
            files.put("broker", dir.resolve("broker.jfr").toAbsolutePath());
            final List<String> arguments = new ArrayList<>(List.of("JFR.start", "name=" + RECORDING,
                    "settings=profile", "filename=" + files.get("broker")));
            CPU_EVENTS.forEach(event -> arguments.add(event + "#period=" + CPU_PERIOD.toSeconds() + "s"));
            jcmd(broker.get(), arguments.toArray(String[]::new));
        }
        files.put("loadgen", dir.resolve("loadgen.jfr").toAbsolutePath());
        final Recording own = recording(files.get("loadgen"));
        own.start();
        return new Profiler(stack, files, own);
    }

    /** A recording with the JDK's {@code profile} settings and CPU loads read every second, not yet started. */
    static Recording recording(final Path destination) throws IOException {
        final Recording recording;
        try {
            recording = new Recording(Configuration.getConfiguration("profile"));
        } catch (final ParseException e) {
            throw new IllegalStateException("the JDK's own JFR profile settings do not parse", e);
        }
        recording.setName(RECORDING);
        CPU_EVENTS.forEach(event -> recording.enable(event).withPeriod(CPU_PERIOD));
        recording.setDestination(destination);
        return recording;
    }

    /** Stops every recording; returns the files by process role. */
    Map<String, Path> stop() throws IOException, InterruptedException {
        own.stop();
        own.close();
        stack.gateway().command("jfr-stop", COMMAND_TIMEOUT);
        stack.stack().command("jfr-stop", COMMAND_TIMEOUT);
        final Optional<Long> broker = stack.brokerPid();
        if (broker.isPresent()) {
            jcmd(broker.get(), "JFR.stop", "name=" + RECORDING);
        }
        return Map.copyOf(files);
    }

    private static void jcmd(final long pid, final String... arguments) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        command.add(Long.toString(pid));
        command.addAll(List.of(arguments));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + String.join(" ", arguments) + " failed: " + output.strip());
        }
    }
}
