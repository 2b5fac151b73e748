package io.llmgw.app;

import io.llmgw.app.keys.KeysCommand;
import io.llmgw.app.ops.LogFormat;
import io.llmgw.settings.Settings;

import java.util.Arrays;
import java.util.List;

/**
 * The one entry point of the jar: {@code llmgw dev|gateway|router|worker|sim|bench}. Each role reads the same
 * settings (environment over {@code ./.env}); {@code dev} runs every role in one process tree.
 */
public final class Llmgw {

    private static final String USAGE = """
            usage: llmgw <command> [options]

            commands:
              dev                    embedded Kafka (unless BOOTSTRAP_SERVERS is set), router, one worker per model,
                                     gateway on GATEWAY_PORT (8000), and the LLM simulator when no host is configured
              gateway                the OpenAI-compatible HTTP gateway
              router                 the router topology
              worker [--model NAME]  workers for the configured models (all of them, or only NAME)
              sim                    the OpenAI-compatible LLM simulator alone (SIM_PORT, default 8100)
              keys <command>         managed API keys: create, list, update, revoke (llmgw keys --help)
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
        if (command.equals("keys")) {
            // its standard output is its answer (the secret alone on the last line): logs go to standard error
            System.setProperty("LOG_TARGET", "System.err");
        }
        // an internal loop that dies brings the process down loudly (status 70), whatever the role
        ProcessExit.onFatalFailure();
        switch (command) {
            case "dev" -> Roles.runUntilStopped(DevStack.start(settings, DevStack.Options.fromArgs(rest)));
            case "gateway" -> Roles.runUntilStopped(Roles.gateway(settings));
            case "router" -> Roles.runUntilStopped(Roles.router(settings));
            case "worker" -> Roles.runUntilStopped(Roles.workers(settings, option(rest, "--model")));
            case "sim" -> Roles.runUntilStopped(Roles.simulator(settings));
            case "keys" -> System.exit(KeysCommand.run(settings, rest, System.out, System.err));
            case "help", "--help", "-h" -> System.out.print(USAGE);
            default -> {
                System.err.println("unknown command: " + command);
                System.err.print(USAGE);
                System.exit(2);
            }
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
