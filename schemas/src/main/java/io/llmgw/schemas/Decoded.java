package io.llmgw.schemas;

/** The outcome of reading a record value: the value, or why it could not be read. Never an exception. */
public sealed interface Decoded<T> {

    record Ok<T>(T value) implements Decoded<T> {
    }

    record Failed<T>(String reason) implements Decoded<T> {
    }
}
