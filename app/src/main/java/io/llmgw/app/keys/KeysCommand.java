package io.llmgw.app.keys;

import io.llmgw.keys.ApiKey;
import io.llmgw.keys.KeySecret;
import io.llmgw.schemas.Priority;
import io.llmgw.settings.Settings;

import java.io.PrintStream;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code llmgw keys create|list|update|revoke}: the operator's side of the managed API keys. {@code create} prints
 * the new secret once, alone on the last line of standard output, so {@code | tail -1} captures it; nothing else
 * ever prints or stores it. Every change is in Kafka when the command returns, and every gateway follows it within
 * about a second. Exit status 0, or 2 with the reason on standard error.
 */
public final class KeysCommand {

    static final String USAGE = """
            usage: llmgw keys <create|list|update|revoke> ...

              create --name NAME [--models GLOB,...] [--rpm N] [--tpm N] [--max-concurrent N]
                     [--priority high|normal|low] [--expires DATE]
                                 a new key; its secret is printed once, alone on the last line
              list               every key (never a secret)
              update NAME [the options of create, --models '' for every model]
              revoke NAME        from now on 401 at every gateway (the key stays listed as revoked)

            GLOB: * is any run of characters (gpt-*, Qwen/*). DATE: 2027-01-31 (00:00 UTC) or 2027-01-31T12:00:00Z.
            Limits hold across every gateway instance (README "Keys and limits"): --rpm requests and --tpm tokens
            in any minute, --max-concurrent requests at once; over one, 429 with Retry-After.
            """;

    private static final Set<String> OPTIONS = Set.of("--name", "--models", "--rpm", "--tpm", "--max-concurrent",
            "--priority", "--expires");

    /** A mistake of the caller's: exit status 2 and the message, no stack trace. */
    static final class UsageException extends RuntimeException {
        UsageException(final String message) {
            super(message, null, false, false);
        }
    }

    private KeysCommand() {
    }

    /** Runs the command; returns the exit status. */
    public static int run(final Settings settings, final List<String> args, final PrintStream out,
                          final PrintStream err) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            out.print(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        try (KeysTopic topic = new KeysTopic(settings)) {
            final List<String> rest = args.subList(1, args.size());
            switch (args.getFirst()) {
                case "create" -> create(topic, options(rest), out);
                case "list" -> KeyListing.print(topic.read().values(), out);
                case "update" -> update(topic, name(rest), options(rest.subList(1, rest.size())), out);
                case "revoke" -> revoke(topic, name(rest), out);
                default -> throw new UsageException("unknown keys command: " + args.getFirst() + "\n" + USAGE);
            }
            return 0;
        } catch (final UsageException e) {
            err.println(e.getMessage());
            return 2;
        } catch (final IllegalArgumentException | IllegalStateException e) {
            err.println("keys: " + e.getMessage());
            return 2;
        }
    }

    private static void create(final KeysTopic topic, final Map<String, String> options, final PrintStream out) {
        final String name = Optional.ofNullable(options.get("--name"))
                .orElseThrow(() -> new UsageException("keys create needs --name NAME"));
        if (topic.read().containsKey(name)) {
            throw new UsageException("a key named " + name + " exists; use keys update " + name);
        }
        final KeySecret.Minted minted = KeySecret.mint();
        final ApiKey key = apply(new ApiKey(minted.id(), name, minted.salt(), minted.digest(), List.of(), null, null,
                null, null, null, false, Instant.now().getEpochSecond()), options);
        topic.write(key);
        KeyListing.print(List.of(key), out);
        out.println("The secret is shown once, on the next line; store it now:");
        out.println(minted.secret());
    }

    private static void update(final KeysTopic topic, final String name, final Map<String, String> options,
                               final PrintStream out) {
        if (options.containsKey("--name")) {
            throw new UsageException("a key keeps its name; create a new key instead");
        }
        final ApiKey key = apply(existing(topic, name), options);
        topic.write(key);
        KeyListing.print(List.of(key), out);
    }

    private static void revoke(final KeysTopic topic, final String name, final PrintStream out) {
        final ApiKey key = existing(topic, name).revoke();
        topic.write(key);
        KeyListing.print(List.of(key), out);
    }

    private static ApiKey existing(final KeysTopic topic, final String name) {
        return Optional.ofNullable(topic.read().get(name))
                .orElseThrow(() -> new UsageException("no key named " + name + " in " + topic.name()));
    }

    private static ApiKey apply(final ApiKey key, final Map<String, String> options) {
        final List<String> models = options.containsKey("--models") ? globs(options.get("--models")) : key.models();
        return new ApiKey(key.id(), options.getOrDefault("--name", key.name()), key.salt(), key.secretDigest(), models,
                limit(options, "--rpm", key.rpm()), limit(options, "--tpm", key.tpm()),
                limit(options, "--max-concurrent", key.maxConcurrent()),
                options.containsKey("--priority") ? priority(options.get("--priority")) : key.priority(),
                options.containsKey("--expires") ? expiry(options.get("--expires")) : key.expiresAt(),
                key.revoked(), key.createdAt());
    }

    private static List<String> globs(final String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(glob -> !glob.isEmpty()).toList();
    }

    private static Integer limit(final Map<String, String> options, final String option, final Integer current) {
        if (!options.containsKey(option)) {
            return current;
        }
        try {
            final int value = Integer.parseInt(options.get(option));
            if (value < 1) {
                throw new UsageException(option + " must be at least 1: " + value);
            }
            return value;
        } catch (final NumberFormatException e) {
            throw new UsageException(option + " needs a whole number: " + options.get(option));
        }
    }

    private static Priority priority(final String value) {
        return Priority.fromHeader(value).orElseThrow(() -> new UsageException("--priority is one of high, normal or"
                + " low: " + value));
    }

    private static Long expiry(final String value) {
        try {
            return value.contains("T") ? Instant.parse(value).getEpochSecond()
                    : LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        } catch (final DateTimeParseException e) {
            throw new UsageException("--expires needs a date (2027-01-31) or an instant (2027-01-31T12:00:00Z): "
                    + value);
        }
    }

    private static String name(final List<String> args) {
        if (args.isEmpty() || args.getFirst().startsWith("--")) {
            throw new UsageException("which key? give its NAME\n" + USAGE);
        }
        return args.getFirst();
    }

    private static Map<String, String> options(final List<String> args) {
        final Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            final String option = args.get(i).toLowerCase(Locale.ROOT);
            if (!OPTIONS.contains(option)) {
                throw new UsageException("unknown option " + args.get(i) + "\n" + USAGE);
            }
            if (i + 1 >= args.size()) {
                throw new UsageException(option + " needs a value");
            }
            options.put(option, args.get(++i));
        }
        return options;
    }
}
