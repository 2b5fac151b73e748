package io.llmgw.schemas;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/** Header names on {@code llm.dlq} records: why the record is there and where it came from. */
public final class DeadLetterHeaders {

    public static final String REASON = "dlq.reason";
    public static final String SOURCE_TOPIC = "dlq.source.topic";
    public static final String SOURCE_PARTITION = "dlq.source.partition";
    public static final String SOURCE_OFFSET = "dlq.source.offset";
    public static final String STAGE = "dlq.stage";

    private DeadLetterHeaders() {
    }

    /**
     * A copy of a record's headers (trace context included) with the dead-letter headers set, replacing any from an
     * earlier stage. The source is left out when {@code sourceTopic} is null (a record with no input position).
     */
    public static Headers of(final Headers original, final String reason, final String stage, final String sourceTopic,
                             final int sourcePartition, final long sourceOffset) {
        final Headers headers = new RecordHeaders(original == null ? null : original.toArray());
        set(headers, REASON, reason);
        set(headers, STAGE, stage);
        if (sourceTopic != null) {
            set(headers, SOURCE_TOPIC, sourceTopic);
            set(headers, SOURCE_PARTITION, Integer.toString(sourcePartition));
            set(headers, SOURCE_OFFSET, Long.toString(sourceOffset));
        }
        return headers;
    }

    private static void set(final Headers headers, final String name, final String value) {
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
