package io.llmgw.app;

import io.llmgw.app.broker.BrokerLib;
import io.llmgw.app.broker.EmbeddedKafkaCluster;
import io.llmgw.app.keys.KeysCommand;
import io.llmgw.app.usage.UsageCommand;
import io.llmgw.app.ops.LogFormat;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The one entry point of the jar: {@code llmgw dev|kafka|gateway|router|worker|sim|bench}. Each role reads the same
 * settings (environment over {@code ./.env}); {@code dev} runs every role in one process tree.
 */
public final class Llmgw {

    private static final String USAGE = """
            usage: llmgw <command> [options]

            commands:
              dev [--brokers N] [--data-dir D]
                                     embedded Kafka (unless BOOTSTRAP_SERVERS is set; N broker JVMs, default 1),
                                     router, one worker per model, gateway on GATEWAY_PORT (8000), and the LLM
                                     simulator when no host is configured
              kafka [--nodes N] [--port P] [--data-dir D]
                                     a local KRaft cluster alone, in the foreground: N broker JVMs (default 1) on
                                     127.0.0.1 ports P to P+N-1 (default 9092), data in D (default ./.llmgw/kafka);
                                     prints BOOTSTRAP_SERVERS=... for gateway, router and worker; Ctrl-C stops it
              gateway                the OpenAI-compatible HTTP gateway
              router                 the router topology
              worker [--model NAME]  workers for the configured models (all of them, or only NAME)
              sim                    the OpenAI-compatible LLM simulator alone (SIM_PORT, default 8100)
              keys <command>         managed API keys: create, list, update, revoke (llmgw keys --help)
              usage [--key NAME] [--since DURATION]
                                     requests and tokens per key and model, from the llm.usage topic
              bench [--quick]        the benchmark (see BENCHMARKS.md; run by ./llmgw from the bench module)
              help                   this text

            Configuration comes from environment variables and ./.env; see README.md and .env.example.
            """;

    private Llmgw() {
    }

    public static void main(final String[] args) throws Exception {
        final String command = args.length == 0 ? "help" : args[0];
        final List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
        final Settings settings = Settings.load();
        // before the first logger: logback reads LOG_FORMAT and LOG_LEVEL when it starts, and knows nothing of .env
        LogFormat.apply(settings);
        if (command.equals("keys") || command.equals("usage")) {
            // its standard output is its answer (the secret alone on the last line): logs go to standard error
            System.setProperty("LOG_TARGET", "System.err");
        }
        // an internal loop that dies brings the process down loudly (status 70), whatever the role
        ProcessExit.onFatalFailure();
        switch (command) {
            case "dev" -> Roles.runUntilStopped(DevStack.start(settings, usage(() -> DevStack.Options.fromArgs(rest))));
            case "kafka" -> Roles.runUntilStopped(kafka(settings, usage(() -> KafkaOptions.fromArgs(rest))));
            case "gateway" -> Roles.runUntilStopped(Roles.gateway(settings));
            case "router" -> Roles.runUntilStopped(Roles.router(settings));
            case "worker" -> Roles.runUntilStopped(Roles.workers(settings, option(rest, "--model")));
            case "sim" -> Roles.runUntilStopped(Roles.simulator(settings));
            case "keys" -> System.exit(KeysCommand.run(settings, rest, System.out, System.err));
            case "usage" -> System.exit(UsageCommand.run(settings, rest, System.out, System.err));
            case "help", "--help", "-h" -> System.out.print(USAGE);
            default -> {
                System.err.println("unknown command: " + command);
                System.err.print(USAGE);
                System.exit(2);
            }
        }
    }

    /** Options of {@code llmgw kafka}. */
    record KafkaOptions(int nodes, int port, Path dataDir) {

        static final Path DEFAULT_DATA_DIR = Path.of(".llmgw", "kafka");

        static KafkaOptions fromArgs(final List<String> args) {
            requireKnown(args, List.of("--nodes", "--port", "--data-dir"));
            final String dir = option(args, "--data-dir");
            return new KafkaOptions(number(args, "--nodes", 1, 1), number(args, "--port", 9092, 0),
                    dir == null ? DEFAULT_DATA_DIR : Path.of(dir));
        }
    }

    /** The cluster of {@code llmgw kafka}, its bootstrap servers printed as one line a shell can source. */
    private static AutoCloseable kafka(final Settings settings, final KafkaOptions options) {
        final EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start(options.dataDir(), BrokerLib.locate(),
                EmbeddedKafkaCluster.Options.from(settings, options.nodes(), options.port()));
        System.out.println(KafkaClientProps.BOOTSTRAP_SERVERS + "=" + cluster.bootstrapServers());
        System.out.flush();
        return cluster;
    }

    /** Runs {@code parse}; bad options print the message and the usage, and exit with status 2. */
    private static <T> T usage(final Supplier<T> parse) {
        try {
            return parse.get();
        } catch (final IllegalArgumentException e) {
            System.err.println("llmgw: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            throw e;
        }
    }

    /** Refuses options (words starting with --) that are not in {@code known}. */
    static void requireKnown(final List<String> args, final List<String> known) {
        for (final String arg : args) {
            if (arg.startsWith("--") && !known.contains(arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg)) {
                throw new IllegalArgumentException("unknown option " + arg + " (known: " + String.join(", ", known)
                        + ")");
            }
        }
    }

    /** A whole number option of at least {@code min}, or {@code fallback} when it is absent. */
    static int number(final List<String> args, final String name, final int fallback, final int min) {
        final String value = option(args, name);
        if (value == null) {
            return fallback;
        }
        try {
            final int number = Integer.parseInt(value.strip());
            if (number < min) {
                throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
            }
            return number;
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got " + value, e);
        }
    }

    static String option(final List<String> args, final String name) {
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals(name) && i + 1 < args.size()) {
                return args.get(i + 1);
            }
            if (args.get(i).startsWith(name + "=")) {
                return args.get(i).substring(name.length() + 1);
            }
        }
        return null;
    }
}
