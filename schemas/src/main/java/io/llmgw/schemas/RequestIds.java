package io.llmgw.schemas;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Request ids: {@code req_} and 24 random hex digits; unguessable, since they give access to results. */
public final class RequestIds {

    private static final SecureRandom RANDOM = new SecureRandom();

    private RequestIds() {
    }

    public static String next() {
        final byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return "req_" + HexFormat.of().formatHex(bytes);
    }
}
