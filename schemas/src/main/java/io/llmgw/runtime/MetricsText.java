package io.llmgw.runtime;

/** The Prometheus text exposition format every role's {@code /metrics} answers in. */
public final class MetricsText {

    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private MetricsText() {
    }
}
