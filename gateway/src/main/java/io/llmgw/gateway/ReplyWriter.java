package io.llmgw.gateway;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;

/**
 * Writes one request's replies to its client's event stream in the form of its API: chat and completions chunks
 * ({@link CompletionChunks}) or Responses events ({@link ResponsesEvents}). One writer per stream, used by the one
 * handler thread that serves it. Every write throws {@link IOException} once the client has gone away.
 */
interface ReplyWriter {

    /** One chunk or event as the worker relayed it, with its seq. */
    void chunk(long seq, JsonNode data) throws IOException;

    /** The stream's proper end, after the event with {@code seq} ({@link Reply#NO_SEQ} when none stands behind it). */
    void end(long seq) throws IOException;

    /** The stream's end with an error: {@code body} is an OpenAI error object {@code {"error": {...}}}. */
    void fail(long seq, JsonNode body) throws IOException;

    /** A comment that keeps a quiet stream open. */
    void keepAlive() throws IOException;

    /** How one API answers: its JSON body and its stream writer. */
    interface Format {

        /** The body of a non-streaming answer, from the host's completion object. */
        JsonNode completion(String requestId, JsonNode data);

        ReplyWriter open(SseStream stream, String requestId);
    }
}
