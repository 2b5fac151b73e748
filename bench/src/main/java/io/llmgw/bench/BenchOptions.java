package io.llmgw.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The options of {@code llmgw bench}: a full run by default, {@code --quick} for a run of about two minutes, and
 * every size and duration adjustable.
 *
 * @param quick           the short run (its defaults are smaller; explicit options still win)
 * @param rates           request rates of the fixed-rate non-streaming steps, per second
 * @param warmup          sent before each measured step, not counted
 * @param settleCap       the longest settling warm-up of each path, when set (else the mode's caps); zero skips it
 * @param duration        the measured window of each step
 * @param findMax         whether to search the highest rate the gateway sustains (and the peer, when it runs)
 * @param hops            whether to trace the gateway path hop by hop ({@link HopTrace})
 * @param peer            whether to measure the Portkey gateway beside ours ({@link PortkeyPeer})
 * @param maxP99Ms        the p99 a sustained rate must stay under
 * @param streams         concurrent streams of each streaming case, one case per count
 * @param tokensPerSecond pace of each stream
 * @param streamSeconds   how long each stream lasts
 * @param waiting         requests held waiting in the gateway for the memory case
 * @param profile         record JFR in every process during an extra gateway step at {@code profileRate}
 * @param profileRate     the rate of that step
 * @param out             the results directory (JSON, node logs, recordings)
 */
record BenchOptions(boolean quick, List<Double> rates, Duration warmup, Optional<Duration> settleCap, Duration duration,
                    boolean findMax, boolean hops, boolean peer, double maxP99Ms, List<Integer> streams,
                    double tokensPerSecond, Duration streamSeconds, int waiting, boolean profile, double profileRate,
                    Optional<Path> out) {

    static final String USAGE = """
            usage: llmgw bench [--quick] [options]

            Starts what it measures (an embedded Kafka broker, the LLM simulator, the router and a worker, as
            ./llmgw dev does, in one child JVM; the gateway under test in a second one) and an open-loop load
            generator in this JVM, then measures three paths on the same machine:
              direct    the simulator called directly (the floor of the LLM host path)
              floor     bare Kafka produce->consume round trips over the gateway path's three hops, same client settings
              gateway   the full path: client -> gateway -> Kafka -> router -> Kafka -> worker -> simulator
                        -> worker -> Kafka -> gateway -> client
            Cases: non-streaming at fixed rates and the highest rate with p99 under --max-p99; N concurrent streams
            (time to first token, inter-chunk gaps, lost/duplicated/reordered chunks); gateway heap and RSS with
            requests waiting. Prints a table and writes results.json (see BENCHMARKS.md).

            options:
              --quick                  a run of about two minutes: fewer, shorter steps and smaller cases
              --rates R1,R2,...        fixed rates in requests/s           (50,200,500,1000; quick 200)
              --warmup S               seconds sent before each step       (3; quick 0.75)
              --duration S             measured seconds per step           (15; quick 2)
              --settle-cap S           longest settling warm-up per path   (9, gateway 240; quick 4, gateway 55;
                                       0 skips it: a run that checks the paths work, not their speed)
              --no-max, --max          skip or run the search for the highest sustained rate (quick skips it)
              --no-hops, --hops        skip or run the hop-by-hop trace of the gateway path (quick skips it)
              --max-p99 MS             p99 bound of a sustained rate       (50)
              --no-peer, --peer        skip or measure the Portkey gateway beside ours, same simulator, same load
                                       (quick skips it; BENCH_PORTKEY_SCRIPT or npm install into bench/target/peer)
              --streams N1,N2,...      concurrent streams, a case per count (200,1000,2000; quick 100)
              --tokens-per-second R    pace of each stream                 (20)
              --stream-seconds S       length of each stream               (10; quick 3)
              --waiting N              requests held in the memory case    (2000; quick 300)
              --profile                record JFR in every process during an extra gateway step
              --profile-rate R         the rate of that step               (500)
              --out DIR                results directory                   (bench-results/<date-time>)
              --saturated              the saturated cases instead (more requests than slots; --saturated --help)
              --batch                  the batch cases instead (lines/s, interactive latency beside a batch; --batch --help)
              --help                   this text

            Environment: BENCH_NODE_HEAP (1g) is the fixed heap of the two child JVMs, BENCH_NODE_JAVA_OPTS adds options
            to them (LLMGW_BROKER_JAVA_OPTS to the broker's). Tuning variables of the parts
            (WORKER_CONCURRENCY, KAFKA_LINGER_MS, REQUEST_PARTITIONS, ...) reach them as usual; OPENAI_HOST,
            MODELS_FILE and BOOTSTRAP_SERVERS are ignored: the benchmark always runs its own broker and simulator.
            """;

    /** Thrown for {@code --help}: the caller prints {@link #USAGE} and stops. */
    static final class HelpRequested extends Exception {
        HelpRequested() {
            super("help", null, false, false);
        }
    }

    BenchOptions {
        rates = List.copyOf(rates);
        if (rates.isEmpty() || rates.stream().anyMatch(rate -> !(rate > 0))) {
            throw new IllegalArgumentException("--rates needs positive numbers: " + rates);
        }
        require(!duration.isNegative() && !duration.isZero(), "--duration must be positive");
        require(!warmup.isNegative(), "--warmup must not be negative");
        require(settleCap.map(cap -> !cap.isNegative()).orElse(true), "--settle-cap must not be negative");
        require(maxP99Ms > 0, "--max-p99 must be positive");
        streams = List.copyOf(streams);
        require(!streams.isEmpty() && streams.stream().allMatch(n -> n >= 1), "--streams must be at least 1");
        require(tokensPerSecond > 0, "--tokens-per-second must be positive");
        require(streamSeconds.toMillis() * tokensPerSecond / 1000 >= 3,
                "--stream-seconds times --tokens-per-second must give at least 3 tokens");
        require(waiting >= 1, "--waiting must be at least 1");
        require(profileRate > 0, "--profile-rate must be positive");
    }

    static BenchOptions parse(final List<String> args) throws HelpRequested {
        final boolean quick = args.contains("--quick");
        List<Double> rates = quick ? List.of(200.0) : List.of(50.0, 200.0, 500.0, 1000.0);
        Duration warmup = Duration.ofMillis(quick ? 750 : 3000);
        Duration duration = Duration.ofSeconds(quick ? 2 : 15);
        Optional<Duration> settleCap = Optional.empty();
        boolean findMax = !quick;
        boolean hops = !quick;
        boolean peer = !quick;
        double maxP99 = 50;
        List<Integer> streams = quick ? List.of(100) : List.of(200, 1000, 2000);
        double tokensPerSecond = 20;
        Duration streamSeconds = Duration.ofSeconds(quick ? 3 : 10);
        int waiting = quick ? 300 : 2000;
        boolean profile = false;
        double profileRate = 500;
        Optional<Path> out = Optional.empty();
        for (int i = 0; i < args.size(); i++) {
            final String arg = args.get(i);
            switch (arg) {
                case "--quick" -> {
                    // read above: it sets the defaults
                }
                case "--help", "-h" -> throw new HelpRequested();
                case "--no-max" -> findMax = false;
                case "--max" -> findMax = true;
                case "--hops" -> hops = true;
                case "--no-hops" -> hops = false;
                case "--peer" -> peer = true;
                case "--no-peer" -> peer = false;
                case "--profile" -> profile = true;
                case "--rates" -> rates = numbers(arg, value(args, ++i, arg));
                case "--warmup" -> warmup = seconds(arg, value(args, ++i, arg));
                case "--duration" -> duration = seconds(arg, value(args, ++i, arg));
                case "--settle-cap" -> settleCap = Optional.of(seconds(arg, value(args, ++i, arg)));
                case "--max-p99" -> maxP99 = number(arg, value(args, ++i, arg));
                case "--streams" -> streams = numbers(arg, value(args, ++i, arg)).stream().map(Double::intValue)
                        .toList();
                case "--tokens-per-second" -> tokensPerSecond = number(arg, value(args, ++i, arg));
                case "--stream-seconds" -> streamSeconds = seconds(arg, value(args, ++i, arg));
                case "--waiting" -> waiting = (int) number(arg, value(args, ++i, arg));
                case "--profile-rate" -> profileRate = number(arg, value(args, ++i, arg));
                case "--out" -> out = Optional.of(Path.of(value(args, ++i, arg)));
                default -> throw new IllegalArgumentException("unknown option " + arg + " (see llmgw bench --help)");
            }
        }
        return new BenchOptions(quick, rates, warmup, settleCap, duration, findMax, hops, peer, maxP99, streams,
                tokensPerSecond, streamSeconds, waiting, profile, profileRate, out);
    }

    /**
     * The longest settling warm-up of a path: {@code --settle-cap}, else the mode's. The gateway's JIT takes longest:
     * on a two-core machine C2 is busy for three to four minutes of load (BENCHMARKS.md, "Quick runs and the JIT"), so
     * a full run may wait that long. A quick run cannot: its gateway gets most of its two minutes (55 s, in which a
     * cold stack comes to keep 200 requests/s without errors, though not yet at a warm median), the other paths 4 s.
     */
    Duration settleCapOf(final boolean gatewayPath) {
        return settleCap.orElseGet(() -> Duration.ofSeconds(quick ? (gatewayPath ? 55 : 4) : (gatewayPath ? 240 : 9)));
    }

        /** The largest streaming case. */
    int maxStreams() {
        return streams.stream().mapToInt(Integer::intValue).max().orElse(1);
    }

    /** Tokens per stream: its length times its pace. */
    int tokensPerStream() {
        return (int) (streamSeconds.toMillis() * tokensPerSecond / 1000);
    }

    private static String value(final List<String> args, final int index, final String option) {
        if (index >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(index);
    }

    static double number(final String option, final String value) {
        try {
            return Double.parseDouble(value);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number: " + value, e);
        }
    }

    private static Duration seconds(final String option, final String value) {
        return Duration.ofMillis(Math.round(number(option, value) * 1000));
    }

    private static List<Double> numbers(final String option, final String value) {
        final List<Double> numbers = new ArrayList<>();
        for (final String part : value.split(",")) {
            if (!part.isBlank()) {
                numbers.add(number(option, part.strip()));
            }
        }
        return numbers;
    }

    private static void require(final boolean valid, final String message) {
        if (!valid) {
            throw new IllegalArgumentException(message);
        }
    }
}
