package io.llmgw.schemas;

/** Header names on {@code llm.dlq} records: why the record is there and where it came from. */
public final class DeadLetterHeaders {

    public static final String REASON = "dlq.reason";
    public static final String SOURCE_TOPIC = "dlq.source.topic";
    public static final String SOURCE_PARTITION = "dlq.source.partition";
    public static final String SOURCE_OFFSET = "dlq.source.offset";
    public static final String STAGE = "dlq.stage";

    private DeadLetterHeaders() {
    }
}
