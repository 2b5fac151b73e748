package io.llmgw.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Why a request was cancelled: the {@code reason} of a {@link CancelCommand} on the control topic, written as its
 * {@link #wire() wire code}. Reading never fails: a code this version does not know (a newer gateway's), or none,
 * reads as {@link #OTHER}, so a control record can neither stop a worker nor add metric series.
 */
public enum CancelReason {
    /** The client closed its connection before the request finished. */
    CLIENT_DISCONNECTED("client_disconnected"),
    /** The request's deadline passed at the gateway (it answered 504). */
    DEADLINE("deadline"),
    /** The gateway could not confirm its produce of the request, and answered an error instead. */
    PUBLISH_FAILED("publish_failed"),
    /** The gateway failed while it waited for the reply, and answered an error instead. */
    GATEWAY_ERROR("gateway_error"),
    /** The gateway shut down while the client waited. */
    GATEWAY_SHUTDOWN("gateway_shutdown"),
    /** The client asked for it ({@code POST /v1/responses/{id}/cancel}). */
    CLIENT_CANCELLED("client_cancelled"),
    /**
     * The gateway that held the client's connection left its claims group without closing (it crashed): nobody is
     * left to read the answer. Workers decide this themselves ({@code GatewayWatch}); it never travels on the control
     * topic.
     */
    GATEWAY_GONE("gateway_gone"),
    /** Any other code, or none. */
    OTHER("other");

    private final String wire;

    CancelReason(final String wire) {
        this.wire = wire;
    }

    /** The code on the control topic and in metric tags: {@code client_disconnected}, {@code deadline}, ... */
    @JsonValue
    public String wire() {
        return wire;
    }

    /** The wire code, so that log lines read as the control topic does. */
    @Override
    public String toString() {
        return wire;
    }

    /** The code in words, for messages: {@code client disconnected}. */
    public String words() {
        return wire.replace('_', ' ');
    }

    /** The reason a wire code names; {@link #OTHER} for an unknown code or null, never an exception. */
    @JsonCreator
    public static CancelReason fromWire(final String code) {
        for (final CancelReason reason : values()) {
            if (reason.wire.equals(code)) {
                return reason;
            }
        }
        return OTHER;
    }
}
