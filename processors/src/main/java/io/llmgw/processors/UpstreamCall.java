package io.llmgw.processors;

/** A started upstream call. */
public interface UpstreamCall {

    /**
     * Aborts the HTTP call; safe from any thread, any number of times. Once it returns, the listener is not called
     * again (a callback already running finishes first).
     */
    void cancel();
}
