package io.llmgw.schemas;

/**
 * A record on the control topic: stop working on a request. Key: {@link #id()}.
 *
 * @param id     request id
 * @param reason why; on the wire its code ({@code client_disconnected}, {@code deadline}, ...); a missing or unknown
 *               code reads as {@link CancelReason#OTHER}
 * @param atMs   when it was issued (epoch ms)
 */
public record CancelCommand(String id, CancelReason reason, long atMs) {

    public CancelCommand {
        reason = reason == null ? CancelReason.OTHER : reason;
    }
}
