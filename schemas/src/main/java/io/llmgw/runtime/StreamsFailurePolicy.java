package io.llmgw.runtime;

import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What a Kafka Streams app of this project does when something goes wrong that the topology did not absorb.
 *
 * <ul>
 *   <li>A stream thread that dies is replaced (a new thread restores its tasks and resumes), but at most
 *       {@link #MAX_REPLACEMENTS} times in {@link #WINDOW}: a record that kills every thread that reads it would
 *       otherwise replace threads forever while the app processes nothing. Beyond that the client shuts down,
 *       the state goes to ERROR, and {@link StreamsRunState} reports it to {@link ProcessFailure}.</li>
 *   <li>A record the producer refuses as too large (a dead letter is its input plus headers, so an input at the
 *       size limit makes one) is logged, counted and skipped ({@link SkipOversizedRecords}): failing the thread
 *       would only retry the same record.</li>
 * </ul>
 */
public final class StreamsFailurePolicy {

    public static final int MAX_REPLACEMENTS = 5;
    public static final Duration WINDOW = Duration.ofMinutes(1);

    private StreamsFailurePolicy() {
    }

    /** Replaces dead stream threads of {@code name}, unless they die too often; then shuts the client down. */
    public static StreamsUncaughtExceptionHandler replaceThreads(final String name, final Logger log) {
        return replaceThreads(name, log, System::nanoTime);
    }

    static StreamsUncaughtExceptionHandler replaceThreads(final String name, final Logger log,
                                                          final LongSupplier nanoClock) {
        final Deque<Long> recent = new ArrayDeque<>();
        return exception -> {
            final long now = nanoClock.getAsLong();
            synchronized (recent) {
                while (!recent.isEmpty() && now - recent.peekFirst() > WINDOW.toNanos()) {
                    recent.pollFirst();
                }
                if (recent.size() >= MAX_REPLACEMENTS) {
                    log.error("{}: stream threads died {} times within {} s; shutting the app down", name,
                            recent.size() + 1, WINDOW.toSeconds(), exception);
                    return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
                }
                recent.addLast(now);
            }
            log.error("{}: a stream thread failed; replacing it", name, exception);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        };
    }

    /** Skips records the producer refuses as too large; fails on anything else, as the default handler does. */
    public static final class SkipOversizedRecords implements ProductionExceptionHandler {

        private static final Logger LOG = LoggerFactory.getLogger(SkipOversizedRecords.class);
        private static final AtomicLong SKIPPED = new AtomicLong();

        /** Records skipped in this JVM (all Streams apps of the process). */
        public static long skipped() {
            return SKIPPED.get();
        }

        @Override
        public Response handleError(final ErrorHandlerContext context, final ProducerRecord<byte[], byte[]> record,
                                    final Exception exception) {
            if (exception instanceof RecordTooLargeException) {
                SKIPPED.incrementAndGet();
                LOG.warn("skipping a record for {} that Kafka refuses as too large ({} bytes of value; from {}-{}@{}):"
                                + " {}", record.topic(), record.value() == null ? 0 : record.value().length,
                        context.topic(), context.partition(), context.offset(), exception.getMessage());
                return Response.resume();
            }
            return Response.fail();
        }

        @Override
        public void configure(final Map<String, ?> configs) {
        }
    }
}
