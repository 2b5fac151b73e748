package io.llmgw.bench;

import io.llmgw.schemas.Json;
import io.llmgw.settings.Settings;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code llmgw bench}: starts the system under test ({@link BenchStack}) and the Kafka floor, then runs the cases in
 * order (fixed rates on every path, the search for the highest sustained rate, streaming, memory, and the profiled
 * step when asked), prints each step as it ends, and finally the tables ({@link ResultTable}) and
 * {@code results.json}.
 */
public final class BenchCommand {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(60);
    private static final double WARMUP_RATE = 500;
    /** The settling windows run at the rate the quick run reports on, in windows long enough for a stable p50. */
    private static final double SETTLE_RATE = 200;
    private static final Duration SETTLE_WINDOW = Duration.ofMillis(1500);
    private static final Duration PATH_WARMUP = Duration.ofSeconds(10);
    private static final Duration GATEWAY_WARMUP = Duration.ofSeconds(20);
    private static final int STREAM_WARMUP_STREAMS = 100;
    private static final Duration STREAM_WARMUP = Duration.ofSeconds(3);
    private static final double HOP_TRACE_RATE = 200;
    private static final double MAX_SEARCH_START = 500;
    private static final double MAX_SEARCH_LIMIT = 32_000;
    private static final double MAX_ERROR_RATIO = 0.001;
    /** The search runs more steps than the fixed rates: shorter ones keep the full run within minutes. */
    private static final Duration MAX_SEARCH_STEP = Duration.ofSeconds(10);
    /** A sustained rate must be served, not merely survived: at least this share of it must complete in time. */
    private static final double MIN_ACHIEVED_SHARE = 0.95;

    private final Settings settings;
    private final BenchOptions options;
    private final Path out;
    private final long startNanos = System.nanoTime();
    private final List<BenchReport.ProfileSummary> profiles = new ArrayList<>();
    private final Map<String, JitWarmup.Outcome> warmups = new LinkedHashMap<>();

    private BenchCommand(final Settings settings, final BenchOptions options, final Path out) {
        this.settings = settings;
        this.options = options;
        this.out = out;
    }

    /** Runs {@code llmgw bench} with its command-line arguments. */
    public static void run(final Settings settings, final List<String> args) throws Exception {
        if (args.contains("--saturated")) {
            SaturationCommand.run(settings, args);
            return;
        }
        if (args.contains("--batch")) {
            BatchCommand.run(settings, args);
            return;
        }
        final BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (final BenchOptions.HelpRequested help) {
            System.out.print(BenchOptions.USAGE);
            return;
        }
        final Path out = options.out().orElse(Path.of("bench-results",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        Files.createDirectories(out);
        new BenchCommand(settings, options, out.toAbsolutePath()).execute();
    }

    private void execute() throws Exception {
        final String startedAt = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
        final BenchReport.Machine machine = BenchReport.Machine.current();
        progress("starting the stack (broker, simulator, router, worker) and the gateway; logs in %s", out);
        try (BenchStack stack = BenchStack.start(settings, options, out);
             KafkaFloor floor = KafkaFloor.start(stack.settings(), KafkaFloor.DEFAULT_RECORD_BYTES);
             HttpClient client = ChatTarget.newClient();
             PortkeyPeer.Result peer = options.peer() ? PortkeyPeer.start(stack.simulatorUrl(), out)
                     : PortkeyPeer.Result.notAsked()) {
            final ChatTarget direct = new ChatTarget(BenchReport.DIRECT, client, stack.simulatorUrl(),
                    BenchStack.MODEL, REQUEST_TIMEOUT);
            final ChatTarget gateway = new ChatTarget(BenchReport.GATEWAY, client, stack.gatewayUrl(),
                    BenchStack.MODEL, REQUEST_TIMEOUT);
            final Map<String, Supplier<CompletableFuture<Outcome>>> paths = new LinkedHashMap<>();
            final HttpRequest directRequest = direct.completionRequest();
            final HttpRequest gatewayRequest = gateway.completionRequest();
            paths.put(BenchReport.DIRECT, () -> direct.complete(directRequest));
            paths.put(BenchReport.FLOOR, floor::roundTrip);
            paths.put(BenchReport.GATEWAY, () -> gateway.complete(gatewayRequest));
            final Map<String, Long> pids = new LinkedHashMap<>(stack.pids());
            if (peer.peer() != null) {
                final ChatTarget portkey = peer.peer().target(client, BenchStack.MODEL, REQUEST_TIMEOUT);
                final HttpRequest portkeyRequest = portkey.completionRequest();
                paths.put(BenchReport.PEER, () -> portkey.complete(portkeyRequest));
                pids.put("peer", peer.peer().pid());
            } else {
                progress("peer not measured: %s", peer.skipped());
            }
            progress("ready: gateway %s, simulator %s", gateway.baseUrl(), direct.baseUrl());

            warmUp(paths, new JitActivity(stack.pids()));
            final Steps steps = new Steps(pids, gateway);
            final List<BenchReport.PathStep> fixed = new ArrayList<>();
            for (final double rate : options.rates()) {
                for (final var path : paths.entrySet()) {
                    fixed.add(steps.run(path.getKey(), path.getValue(), rate, options.warmup(), options.duration()));
                }
            }
            final BenchReport.HopBreakdown hops = options.hops()
                    ? traceHops(stack, steps, gateway, gatewayRequest) : null;
            // the peer's and direct's highest rates are the yardsticks of the gateway's (issue 14)
            final BenchReport.MaxRate maxRate = findMax(steps, BenchReport.GATEWAY, paths);
            final BenchReport.MaxRate peerMaxRate = findMax(steps, BenchReport.PEER, paths);
            final BenchReport.MaxRate directMaxRate = findMax(steps, BenchReport.DIRECT, paths);
            final List<BenchReport.StreamCase> streaming = new ArrayList<>();
            if (!options.quick()) {
                warmUpStreams(stack, List.of(direct, gateway), steps);
            }
            for (final int count : options.streams()) {
                for (final ChatTarget target : List.of(direct, gateway)) {
                    streaming.add(streams(stack, target, count, steps));
                }
            }
            steps.quiet();
            progress("memory: %d requests waiting in the gateway", options.waiting());
            final WaitingMemory.Result memory = WaitingMemory.run(gateway, stack.gateway(), options.waiting(), out);
            if (options.profile()) {
                profiledStep(stack, steps, paths.get(BenchReport.GATEWAY));
            }

            final BenchReport report = new BenchReport(startedAt, machine, optionsMap(), fixed,
                    BenchReport.Comparison.of(fixed), hops, maxRate, peerMaxRate, directMaxRate, peer.skipped(),
                    streaming, memory, List.copyOf(profiles));
            final Path json = out.resolve("results.json");
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report);
            System.out.print(ResultTable.render(report));
            progress("results: %s", json);
        }
    }

    /**
     * JIT compilation and connection pools warm up on every path before anything is measured. A full run first sends
     * the ten thousand or so calls after which C2 compiles a method; both modes then send windows of load until the
     * median stops falling ({@link JitWarmup}), so a quick run measures a warm JVM too, and says how long that took.
     */
    private void warmUp(final Map<String, Supplier<CompletableFuture<Outcome>>> paths, final JitActivity jit)
            throws InterruptedException {
        for (final var path : paths.entrySet()) {
            final boolean gatewayPath = path.getKey().equals(BenchReport.GATEWAY);
            if (!options.quick()) {
                final Duration fixed = gatewayPath ? GATEWAY_WARMUP : PATH_WARMUP;
                progress("warming up %s at %.0f requests/s for %.1f s", path.getKey(), WARMUP_RATE,
                        fixed.toMillis() / 1000.0);
                OpenLoop.run(new OpenLoop.Plan(WARMUP_RATE, Duration.ZERO, fixed, REQUEST_TIMEOUT, 1000),
                        path.getValue());
            }
            final Duration cap = options.settleCapOf(gatewayPath);
            if (cap.isZero()) {
                progress("warm-up %s: skipped (--settle-cap 0): the figures are a cold JVM's", path.getKey());
                continue;
            }
            final JitWarmup.Outcome settled = JitWarmup.run(SETTLE_RATE, SETTLE_WINDOW, cap, REQUEST_TIMEOUT, jit,
                    path.getValue());
            final List<String> windows = new ArrayList<>();
            for (int i = 0; i < settled.windowP50s().size(); i++) {
                windows.add(String.format(Locale.ROOT, "%.1f@%.0f", settled.windowP50s().get(i),
                        settled.windowRates().get(i)));
            }
            progress("warm-up %s: %s after %.1f s climbing to %.0f requests/s (window p50 ms @ rate/s %s; JIT in the"
                            + " last window, cores: %s)", path.getKey(),
                    settled.settled() ? "settled" : "NOT settled (cap reached; figures may be cold)",
                    settled.took().toMillis() / 1000.0, SETTLE_RATE, windows,
                    JitActivity.describe(settled.lastJitCores()));
            warmups.put(path.getKey(), settled);
        }
    }

    private BenchReport.HopBreakdown traceHops(final BenchStack stack, final Steps steps, final ChatTarget gateway,
                                              final HttpRequest request) throws InterruptedException {
        steps.quiet();
        progress("tracing the gateway path hop by hop at %.0f requests/s", HOP_TRACE_RATE);
        final BenchReport.PathStep step;
        final Map<String, LatencyStats> hops;
        try (HopTrace trace = HopTrace.start(stack.settings(), BenchStack.MODEL)) {
            step = steps.run(BenchReport.GATEWAY, () -> trace.send(gateway, request), HOP_TRACE_RATE,
                    options.warmup(), options.duration());
            trace.close(); // the watchers stop before their notes are read
            hops = trace.hops();
        }
        hops.forEach((hop, latency) -> progress("  %-12s p50 %7.2f p90 %7.2f p99 %7.2f ms", hop, latency.p50(),
                latency.p90(), latency.p99()));
        return new BenchReport.HopBreakdown(HOP_TRACE_RATE, step, hops);
    }

    /** The streaming code paths (SSE on both sides, the worker's chunk forwarding) get their own JIT warm-up. */
    private void warmUpStreams(final BenchStack stack, final List<ChatTarget> targets, final Steps steps)
            throws InterruptedException {
        final StreamLoad.Plan plan = new StreamLoad.Plan(STREAM_WARMUP_STREAMS, options.tokensPerSecond(),
                (int) Math.max(3, options.tokensPerSecond() * STREAM_WARMUP.toSeconds()), Duration.ofSeconds(1),
                REQUEST_TIMEOUT);
        for (final ChatTarget target : targets) {
            steps.quiet();
            progress("warming up streaming on %s: %d streams for %d s", target.name(), plan.streams(),
                    STREAM_WARMUP.toSeconds());
            StreamLoad.run(target, plan, stack.simulatorConfig());
        }
    }

    /** The search for the highest sustained rate of {@code path}; null when the run skips it or lacks the path. */
    private BenchReport.MaxRate findMax(final Steps steps, final String path,
                                        final Map<String, Supplier<CompletableFuture<Outcome>>> paths)
            throws InterruptedException {
        final Supplier<CompletableFuture<Outcome>> operation = paths.get(path);
        if (!options.findMax() || operation == null) {
            return null;
        }
        final List<BenchReport.PathStep> trials = new ArrayList<>();
        final MaxRateSearch.Found found = MaxRateSearch.search(MAX_SEARCH_START, MAX_SEARCH_LIMIT,
                options.quick() ? 1 : 3, this::sustained, rate -> {
                    BenchReport.PathStep step = null;
                    // a shared machine stalls now and then: a failed step gets a second chance before it counts
                    for (int attempt = 0; attempt < 2 && (step == null || !sustained(step.load())); attempt++) {
                        steps.quiet();
                        step = steps.run(path, operation, rate, options.warmup(),
                                min(options.duration(), MAX_SEARCH_STEP));
                        trials.add(step);
                    }
                    return step.load();
                });
        final Double sustained = found.best().map(MaxRateSearch.Trial::rate).orElse(null);
        progress("highest sustained %s rate: %s", path, sustained == null ? "none passed" : sustained + " requests/s");
        return new BenchReport.MaxRate(options.maxP99Ms(), MAX_ERROR_RATIO, sustained, trials);
    }

    private boolean sustained(final OpenLoop.Result result) {
        return result.errorRatio() <= MAX_ERROR_RATIO && result.latency().p99() <= options.maxP99Ms()
                && result.achievedRate() >= MIN_ACHIEVED_SHARE * result.targetRate();
    }

    private BenchReport.StreamCase streams(final BenchStack stack, final ChatTarget target, final int count,
                                           final Steps steps) throws IOException, InterruptedException {
        steps.quiet();
        // connections open at about 1,000 a second (at least over a second): a connect storm is another benchmark
        final StreamLoad.Plan plan = new StreamLoad.Plan(count, options.tokensPerSecond(), options.tokensPerStream(),
                Duration.ofMillis(Math.min(5000, Math.max(1000, count))), REQUEST_TIMEOUT);
        progress("streaming on %s: %d streams, %.0f tokens/s, %d tokens each", target.name(), plan.streams(),
                plan.tokensPerSecond(), plan.tokens());
        final CpuMeter cpu = CpuMeter.start(stack.pids());
        final boolean profile = options.profile() && target.name().equals(BenchReport.GATEWAY)
                && count == options.maxStreams();
        final StreamLoad.Result result = profile
                ? profiled(stack, String.format(Locale.ROOT, "gateway, %d concurrent streams", count),
                        "profile-streams", () -> StreamLoad.run(target, plan, stack.simulatorConfig()), false)
                : StreamLoad.run(target, plan, stack.simulatorConfig());
        final BenchReport.StreamCase streamCase = new BenchReport.StreamCase(target.name(), plan.streams(),
                plan.tokensPerSecond(), plan.tokens(), result, result.addedGapP99Ms(), cpu.stop(plan.streams()));
        progress("  %s: %d/%d streams ok, ttft p50 %.2f p99 %.2f ms, gap p99 %.2f ms (+%.2f), lost %d dup %d"
                        + " reordered %d%s", target.name(), result.completed(), plan.streams(), result.ttft().p50(),
                result.ttft().p99(), result.gap().p99(), result.addedGapP99Ms(), result.chunks().lost(),
                result.chunks().duplicated(), result.chunks().reordered(),
                result.failures().isEmpty() ? "" : ", failures " + result.failures());
        return streamCase;
    }

    private BenchReport.PathStep profiledStep(final BenchStack stack, final Steps steps,
                                              final Supplier<CompletableFuture<Outcome>> gateway)
            throws IOException, InterruptedException {
        steps.quiet();
        final String name = String.format(Locale.ROOT, "gateway, non-streaming at %.0f requests/s",
                options.profileRate());
        progress("profiling: %s (JFR in every process)", name);
        return profiled(stack, name, "profile-requests", () -> steps.run(BenchReport.GATEWAY, gateway,
                options.profileRate(), options.warmup(), options.duration()), true);
    }

    /** Runs {@code measurement} with JFR recording in every process, and keeps the summary of the recordings. */
    private <T> T profiled(final BenchStack stack, final String name, final String directory,
                           final Measurement<T> measurement, final boolean keepStep)
            throws IOException, InterruptedException {
        final Path dir = Files.createDirectories(out.resolve(directory));
        final Profiler profiler = Profiler.start(stack, dir);
        final T result;
        try {
            result = measurement.run();
        } catch (final InterruptedException | RuntimeException e) {
            profiler.stop();
            throw e;
        }
        final Map<String, Path> files = profiler.stop();
        final Map<String, JfrHotspots.Summary> hotspots = new LinkedHashMap<>();
        final Map<String, String> recordings = new LinkedHashMap<>();
        for (final String role : List.of("gateway", "stack", "broker", "loadgen")) {
            final Path file = files.get(role);
            if (file != null && Files.exists(file)) {
                hotspots.put(role, JfrHotspots.summarize(file));
                recordings.put(role, out.relativize(file).toString());
            }
        }
        profiles.add(new BenchReport.ProfileSummary(name,
                keepStep && result instanceof BenchReport.PathStep step ? step : null, recordings, hotspots));
        return result;
    }

    /** A measurement that can be run under the profiler. */
    @FunctionalInterface
    private interface Measurement<T> {
        T run() throws InterruptedException;
    }

    private Map<String, Object> optionsMap() {
        final Map<String, Object> map = new LinkedHashMap<>();
        map.put("quick", options.quick());
        map.put("rates", options.rates());
        map.put("warmupSeconds", options.warmup().toMillis() / 1000.0);
        map.put("durationSeconds", options.duration().toMillis() / 1000.0);
        map.put("findMax", options.findMax());
        map.put("maxP99Ms", options.maxP99Ms());
        map.put("streams", options.streams());
        map.put("streamSeconds", options.streamSeconds().toMillis() / 1000.0);
        map.put("tokensPerSecond", options.tokensPerSecond());
        map.put("tokensPerStream", options.tokensPerStream());
        map.put("waiting", options.waiting());
        map.put("profile", options.profile());
        warmups.forEach((path, warmup) -> map.put(ResultTable.WARMUP_PREFIX + path,
                Map.of("settled", warmup.settled(), "seconds", warmup.took().toMillis() / 1000.0,
                        "windowP50Ms", warmup.windowP50s(), "windowRates", warmup.windowRates(),
                        "lastWindowJitCores", warmup.lastJitCores())));
        map.put("nodeHeap", settings.get(BenchStack.NODE_HEAP, BenchStack.DEFAULT_NODE_HEAP));
        return map;
    }

    private static Duration min(final Duration a, final Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private void progress(final String format, final Object... args) {
        final long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
        System.out.printf(Locale.ROOT, "[%3d s] %s%n", seconds, String.format(Locale.ROOT, format, args));
    }

    /** Runs measured steps with the CPU meter around them, and waits for the gateway to be idle between them. */
    private final class Steps {

        private final Map<String, Long> pids;
        private final ChatTarget gateway;

        /** {@code pids}: the processes whose CPU each step reports, by role. */
        Steps(final Map<String, Long> pids, final ChatTarget gateway) {
            this.pids = pids;
            this.gateway = gateway;
        }

        BenchReport.PathStep run(final String path, final Supplier<CompletableFuture<Outcome>> operation,
                                 final double rate, final Duration warmup, final Duration measure)
                throws InterruptedException {
            // past about a second of requests in flight the step has failed anyway; shedding keeps sockets in check
            final int maxOutstanding = (int) Math.min(5000, Math.max(256, rate));
            final OpenLoop.Plan plan = new OpenLoop.Plan(rate, warmup, measure, REQUEST_TIMEOUT, maxOutstanding);
            final CpuMeter cpu = CpuMeter.start(pids);
            final OpenLoop.Result result = OpenLoop.run(plan, operation);
            final long operations = Math.round(rate * (warmup.toMillis() + measure.toMillis()) / 1000.0);
            final BenchReport.PathStep step = new BenchReport.PathStep(path, result, cpu.stop(operations));
            progress("%-7s %6.0f/s: achieved %7.1f/s, p50 %7.2f p90 %7.2f p99 %7.2f max %8.2f ms, %d errors%s",
                    path, rate, result.achievedRate(), result.latency().p50(), result.latency().p90(),
                    result.latency().p99(), result.latency().max(), result.errors(),
                    result.errorKinds().isEmpty() ? "" : " " + result.errorKinds());
            return step;
        }

        /** Waits until the gateway has no request waiting: a backlog left by an overloaded step must not count. */
        void quiet() throws InterruptedException {
            final long giveUp = System.nanoTime() + QUIET_TIMEOUT.toNanos();
            while (WaitingMemory.pending(gateway) > 0 && System.nanoTime() < giveUp) {
                // polling: the gauge is the only view of the gateway process's backlog
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
    }
}
