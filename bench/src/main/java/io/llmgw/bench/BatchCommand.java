package io.llmgw.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmgw.schemas.Json;
import io.llmgw.settings.Settings;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code llmgw bench --batch}: a batch on a worker with N slots in front of a host whose every call takes a fixed time
 * ({@link PacedHost}). It measures the batch's lines per second against slots / call time, and the latency of
 * interactive (non-streamed, normal-priority) requests at half the capacity, without a batch and while one holds
 * every slot: a batch should cost an interactive request at most one call time.
 */
final class BatchCommand {

    static final String USAGE = """
            usage: llmgw bench --batch [--slots N] [--call-ms MS] [--lines N] [--out DIR]

            One worker instance with N slots (WORKER_CONCURRENCY) in front of a host whose every call takes
            --call-ms. Cases: a batch of --lines chat lines alone (lines/s against slots / call time), then
            interactive requests at half the capacity without a batch and while a batch holds every slot
            (p50/p99 latency). Writes batch.json.

              --slots N      WORKER_CONCURRENCY of the worker instance   (8)
              --call-ms MS   the host's time per call                    (500)
              --lines N      lines of the batch                          (20 x slots)
              --out DIR      results directory                           (bench-results/<date-time>-batch)
            """;

    private static final Duration BATCH_TIMEOUT = Duration.ofMinutes(30);

    /**
     * The batch alone: from create to {@code completed} as a client sees it (validation, the driver's look and the
     * files included), and at the host from the first line's start to the last line's end (the steady rate).
     */
    record Throughput(int lines, double seconds, double linesPerSecond, double hostSeconds, double ratio) {
    }

    /** Interactive latency, without and with a batch running. */
    record Interactive(int requests, LatencyStats withoutMs, LatencyStats withMs, int failed, double boundMs) {
    }

    record Report(String startedAt, BenchReport.Machine machine, int slots, long callMs, int window,
                  Throughput throughput, Interactive interactive) {
    }

    private final URI gateway;
    private final SaturatedClient client;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private BatchCommand(final URI gateway, final SaturatedClient client) {
        this.gateway = gateway;
        this.client = client;
    }

    static void run(final Settings settings, final List<String> args) throws Exception {
        if (args.contains("--help") || args.contains("-h")) {
            System.out.print(USAGE);
            return;
        }
        final int slots = (int) BenchOptions.number("--slots", option(args, "--slots", "8"));
        final Duration callTime = Duration.ofMillis((long) BenchOptions.number("--call-ms",
                option(args, "--call-ms", "500")));
        final int lines = (int) BenchOptions.number("--lines", option(args, "--lines",
                Integer.toString(20 * slots)));
        if (slots < 1 || callTime.toMillis() < 10 || lines < 1) {
            throw new IllegalArgumentException("--slots and --lines must be >= 1, --call-ms >= 10");
        }
        final Path out = Path.of(option(args, "--out", Path.of("bench-results", LocalDateTime.now()
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-batch").toString())).toAbsolutePath();
        Files.createDirectories(out);
        final String startedAt = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
        final BenchReport.Machine machine = BenchReport.Machine.current();
        final int window = settings.getInt("GATEWAY_BATCH_WINDOW", 64);
        progress("starting the stack: %d slots, %d ms per call, batch window %d; logs in %s", slots,
                callTime.toMillis(), window, out);
        try (PacedHost host = new PacedHost(callTime, Duration.ofMillis(Math.min(20, callTime.toMillis())));
             SaturationStack stack = SaturationStack.start(settings, slots, host, out);
             SaturatedClient client = new SaturatedClient(stack.gatewayUrl(), SaturationStack.MODEL)) {
            final BatchCommand bench = new BatchCommand(stack.gatewayUrl(), client);
            progress("warm-up: a batch of %d lines", 2 * slots);
            bench.runBatch(2 * slots, "warm");
            progress("batch alone: %d lines", lines);
            host.reset();
            final Throughput throughput = bench.throughput(lines, slots, callTime, host);
            final int requests = 6 * slots;
            progress("interactive without a batch: %d requests at half the capacity", requests);
            final Histogram without = LatencyStats.newMicrosHistogram();
            int failed = bench.interactive(requests, slots, callTime, without);
            progress("interactive while a batch holds every slot");
            final String busy = bench.startBatch(Math.max(lines, 4 * requests), "busy");
            bench.awaitHostFull(host, slots);
            final Histogram with = LatencyStats.newMicrosHistogram();
            failed += bench.interactive(requests, slots, callTime, with);
            bench.post("/batches/" + busy + "/cancel", "");
            final Report report = new Report(startedAt, machine, slots, callTime.toMillis(), window, throughput,
                    new Interactive(requests, LatencyStats.ofMicros(without), LatencyStats.ofMicros(with), failed,
                            LatencyStats.ofMicros(without).p99() + callTime.toMillis()));
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.resolve("batch.json").toFile(), report);
            System.out.print(render(report));
            progress("results: %s", out.resolve("batch.json"));
        }
    }

    static String render(final Report r) {
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%nllmgw bench --batch, %s on %s (%d cpus), load average at start"
                + " %.2f; %d slots, %d ms per call, window %d%n", r.startedAt(), r.machine().host(),
                r.machine().cpus(), r.machine().loadAverage(), r.slots(), r.callMs(), r.window()));
        final Throughput t = r.throughput();
        text.append(String.format(Locale.ROOT, "  batch of %d lines: %.1f s from create to completed (%.2f lines/s);"
                + " at the host %.1f s, %.2f lines/s%n", t.lines(), t.seconds(), t.linesPerSecond(), t.hostSeconds(),
                t.lines() / t.hostSeconds()));
        text.append(String.format(Locale.ROOT, "    host lines/s / (slots / call time) = %.3f (target >= 0.9: %s)%n",
                t.ratio(), t.ratio() >= 0.9 ? "met" : "MISSED"));
        final Interactive i = r.interactive();
        text.append(String.format(Locale.ROOT, "  interactive, %d requests at half the capacity:%n", i.requests()));
        text.append(String.format(Locale.ROOT, "    without a batch   p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms%n",
                i.withoutMs().p50(), i.withoutMs().p99(), i.withoutMs().max()));
        text.append(String.format(Locale.ROOT, "    with a batch      p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms"
                + "  (target p99 <= %.0f: %s)%n", i.withMs().p50(), i.withMs().p99(), i.withMs().max(),
                i.boundMs(), i.withMs().p99() <= i.boundMs() ? "met" : "MISSED"));
        text.append(String.format(Locale.ROOT, "    failed: %d%n", i.failed()));
        return text.toString();
    }

    private Throughput throughput(final int lines, final int slots, final Duration callTime, final PacedHost host)
            throws Exception {
        final double seconds = runBatch(lines, "alone");
        final List<PacedHost.Call> calls = host.calls().stream().filter(call -> call.tag().equals("alone")).toList();
        final long first = calls.stream().mapToLong(PacedHost.Call::startNanos).min().orElse(0);
        final long last = calls.stream().mapToLong(PacedHost.Call::endNanos).max().orElse(0);
        final double hostSeconds = (last - first) / 1e9;
        return new Throughput(lines, seconds, lines / seconds, hostSeconds,
                lines / hostSeconds / (slots * 1000.0 / callTime.toMillis()));
    }

    /** Runs a batch to its end; its time from create to {@code completed}, in seconds. */
    private double runBatch(final int lines, final String tag) throws Exception {
        final long start = System.nanoTime();
        final String id = startBatch(lines, tag);
        final long deadline = start + BATCH_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            final JsonNode batch = get("/batches/" + id);
            final String status = batch.path("status").asText();
            if (status.equals("completed")) {
                final long failed = batch.path("request_counts").path("failed").asLong();
                if (failed > 0) {
                    throw new IllegalStateException(failed + " lines of batch " + id + " failed");
                }
                return (System.nanoTime() - start) / 1e9;
            }
            if (status.equals("failed") || status.equals("cancelled") || status.equals("expired")) {
                throw new IllegalStateException("batch " + id + " ended " + status + ": " + batch);
            }
            TimeUnit.MILLISECONDS.sleep(50); // polling the API as a client does; 50 ms of resolution
        }
        throw new IllegalStateException("batch " + id + " did not complete within " + BATCH_TIMEOUT);
    }

    private String startBatch(final int lines, final String tag) throws Exception {
        final StringBuilder content = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            content.append("{\"custom_id\":\"").append(tag).append('-').append(i)
                    .append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":")
                    .append(Json.MAPPER.writeValueAsString(SaturationStack.MODEL))
                    .append(",\"messages\":[{\"role\":\"user\",\"content\":\"").append(tag).append(' ').append(i)
                    .append("\"}]}}\n");
        }
        final String fileId = upload(content.toString()).path("id").asText();
        return post("/batches", "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/chat/completions\","
                + "\"completion_window\":\"24h\"}").path("id").asText();
    }

    /** Interactive calls at half the capacity (one every 2 x call time / slots); records each latency. */
    private int interactive(final int requests, final int slots, final Duration callTime, final Histogram into)
            throws Exception {
        final long intervalNanos = 2 * callTime.toNanos() / slots;
        final List<CompletableFuture<SaturatedClient.Result>> calls = new ArrayList<>();
        final long start = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            final long due = start + i * intervalNanos;
            final long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait); // the open-loop schedule: calls are due at fixed times
            }
            calls.add(client.complete("interactive" + i));
        }
        int failed = 0;
        for (final CompletableFuture<SaturatedClient.Result> call : calls) {
            final SaturatedClient.Result result = call.get(2, TimeUnit.MINUTES);
            if (!result.ok()) {
                failed++;
                continue;
            }
            into.recordValue(Math.max(1, (result.chunkNanos().getLast() - result.sentNanos()) / 1000));
        }
        return failed;
    }

    private void awaitHostFull(final PacedHost host, final int slots) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (host.open() < slots) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the batch never held every slot (" + host.open() + " open)");
            }
            TimeUnit.MILLISECONDS.sleep(10); // the host's gauge has no change event
        }
    }

    private JsonNode upload(final String content) throws IOException, InterruptedException {
        final String boundary = "llmgw-bench-" + System.nanoTime();
        final String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
        return send(HttpRequest.newBuilder(URI.create(gateway + "/files"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
    }

    private JsonNode post(final String path, final String json) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(gateway + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private JsonNode get(final String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(gateway + path)).GET());
    }

    private JsonNode send(final HttpRequest.Builder request) throws IOException, InterruptedException {
        final HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(request.build().uri() + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return Json.MAPPER.readTree(response.body());
    }

    private static String option(final List<String> args, final String name, final String fallback) {
        final int at = args.indexOf(name);
        if (at < 0) {
            return fallback;
        }
        if (at + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args.get(at + 1);
    }

    private static void progress(final String format, final Object... values) {
        System.out.printf(Locale.ROOT, "[batch] " + format + "%n", values);
    }
}
