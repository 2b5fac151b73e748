package io.llmgw.app.usage;

import io.llmgw.limits.UsageRecord;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.Topic;
import io.llmgw.schemas.Topics;
import io.llmgw.settings.KafkaClientProps;
import io.llmgw.settings.Settings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code llmgw usage [--key NAME] [--since DURATION]}: reads {@code llm.usage} from {@code since} ago (by record
 * timestamp, default 24h) to its end and prints a table per key and model ({@link UsageTable}). The topic is the
 * truth; the table is one reading of it. Exit status 0, or 2 with the reason on standard error. Used by one thread.
 */
public final class UsageCommand {

    static final String USAGE = """
            usage: llmgw usage [--key NAME] [--since DURATION]

              --key NAME        only this key's requests (its name; "static" for GATEWAY_API_KEYS, "none" without a key)
              --since DURATION  requests that finished in the last DURATION: 90s, 15m, 2h, 7d (default 24h)

            One row per key and model: requests, failed (any status but 200), prompt, completion and total tokens,
            mean latency and mean queue wait in milliseconds.
            """;
    static final Duration DEFAULT_SINCE = Duration.ofHours(24);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private UsageCommand() {
    }

    /** Runs the command; returns the exit status. */
    public static int run(final Settings settings, final List<String> args, final PrintStream out,
                          final PrintStream err) {
        return run(settings, args, out, err, Clock.systemUTC());
    }

    static int run(final Settings settings, final List<String> args, final PrintStream out, final PrintStream err,
                   final Clock clock) {
        if (args.contains("--help") || args.contains("-h")) {
            out.print(USAGE);
            return 0;
        }
        final String key;
        final Duration since;
        try {
            final Map<String, String> options = options(args);
            key = options.get("--key");
            since = options.containsKey("--since") ? duration(options.get("--since")) : DEFAULT_SINCE;
        } catch (final IllegalArgumentException e) {
            err.println(e.getMessage());
            err.print(USAGE);
            return 2;
        }
        final UsageTable table = new UsageTable();
        try {
            readSince(settings, clock.millis() - since.toMillis(), record -> {
                if (key == null || key.equals(record.keyName())) {
                    table.add(record);
                }
            });
        } catch (final RuntimeException e) {
            err.println("usage: " + e.getMessage());
            return 2;
        }
        table.print(out);
        return 0;
    }

    /** {@code 90s}, {@code 15m}, {@code 2h}, {@code 7d}, or an ISO-8601 duration ({@code PT15M}). */
    static Duration duration(final String text) {
        final String value = text.strip().toLowerCase(Locale.ROOT);
        try {
            if (value.length() > 1 && Character.isDigit(value.charAt(0))) {
                final long amount = Long.parseLong(value.substring(0, value.length() - 1));
                final Duration parsed = switch (value.charAt(value.length() - 1)) {
                    case 's' -> Duration.ofSeconds(amount);
                    case 'm' -> Duration.ofMinutes(amount);
                    case 'h' -> Duration.ofHours(amount);
                    case 'd' -> Duration.ofDays(amount);
                    default -> null;
                };
                if (parsed != null && !parsed.isZero()) {
                    return parsed;
                }
            } else if (value.startsWith("p")) {
                final Duration parsed = Duration.parse(value.toUpperCase(Locale.ROOT));
                if (!parsed.isNegative() && !parsed.isZero()) {
                    return parsed;
                }
            }
        } catch (final NumberFormatException | DateTimeParseException e) {
            // falls through to the one message below
        }
        throw new IllegalArgumentException("--since needs a positive duration (90s, 15m, 2h, 7d): " + text);
    }

    private static Map<String, String> options(final List<String> args) {
        final Map<String, String> options = new java.util.HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            final String option = args.get(i);
            if (!option.equals("--key") && !option.equals("--since")) {
                throw new IllegalArgumentException("unknown option " + option);
            }
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            options.put(option, args.get(++i));
        }
        return options;
    }

    /** Every readable record of the topic from {@code fromMs} (record time) to the end offsets seen at start. */
    public static void readSince(final Settings settings, final long fromMs,
                                 final java.util.function.Consumer<UsageRecord> sink) {
        final Topic<String, UsageRecord> topic = new Topics(settings.get("TOPIC_PREFIX", Topics.DEFAULT_PREFIX))
                .usage();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(KafkaClientProps.consumer(settings),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<PartitionInfo> infos = consumer.partitionsFor(topic.name(), TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                return; // no gateway has run yet: no usage
            }
            final List<TopicPartition> partitions = infos.stream()
                    .map(info -> new TopicPartition(topic.name(), info.partition())).toList();
            consumer.assign(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            final Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(partitions.stream()
                    .collect(Collectors.toMap(Function.identity(), partition -> fromMs)), TIMEOUT);
            for (final TopicPartition partition : partitions) {
                final OffsetAndTimestamp from = start.get(partition);
                consumer.seek(partition, from == null ? end.get(partition) : from.offset());
            }
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic.name() + " to its end within "
                            + TIMEOUT);
                }
                for (final ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))
                            && topic.valueSerde().decode(record.value()) instanceof Decoded.Ok<UsageRecord> ok) {
                        sink.accept(ok.value());
                    }
                }
            }
        }
    }
}
