package io.llmgw.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.IOException;

/**
 * Jackson serde for one wire type. Stream code reads values through {@link #decode(byte[])}, which never throws: a
 * record that cannot be read becomes a {@link Decoded.Failed} and goes to the dead-letter topic with the reason. The
 * plain {@link #deserializer()} is for consumers outside Streams and throws {@link SerializationException}.
 */
public final class JsonSerde<T> implements Serde<T> {

    private final Class<T> type;
    private final ObjectReader reader;
    private final ObjectWriter writer;

    public JsonSerde(final Class<T> type) {
        this.type = type;
        this.reader = Json.MAPPER.readerFor(type);
        this.writer = Json.MAPPER.writerFor(type);
    }

    public Class<T> type() {
        return type;
    }

    public byte[] encode(final T value) {
        if (value == null) {
            return null;
        }
        try {
            return writer.writeValueAsBytes(value);
        } catch (final JsonProcessingException e) {
            throw new SerializationException("cannot write " + type.getSimpleName(), e);
        }
    }

    public Decoded<T> decode(final byte[] bytes) {
        if (bytes == null) {
            return new Decoded.Failed<>("null value");
        }
        try {
            final T value = reader.readValue(bytes);
            if (value == null) {
                return new Decoded.Failed<>("JSON null is not a " + type.getSimpleName());
            }
            return new Decoded.Ok<>(value);
        } catch (final IOException | RuntimeException e) {
            return new Decoded.Failed<>("not a " + type.getSimpleName() + ": " + firstLine(e.getMessage()));
        }
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> encode(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null; // tombstone
            }
            return switch (decode(bytes)) {
                case Decoded.Ok<T> ok -> ok.value();
                case Decoded.Failed<T> failed -> throw new SerializationException(failed.reason());
            };
        };
    }

    private static String firstLine(final String message) {
        if (message == null) {
            return "unreadable";
        }
        final int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
