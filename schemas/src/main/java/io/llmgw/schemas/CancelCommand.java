package io.llmgw.schemas;

/**
 * A record on the control topic: stop working on a request. Key: {@link #id()}.
 *
 * @param id     request id
 * @param reason why: {@code client_disconnected}, {@code deadline}, ...
 * @param atMs   when it was issued (epoch ms)
 */
public record CancelCommand(String id, String reason, long atMs) {
}
