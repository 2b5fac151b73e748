package io.llmgw.simulator;

import java.time.Instant;

/**
 * A client that closed its connection before its response was finished: what the gateway's cancellation must cause.
 *
 * @param at         when the simulator noticed (within about 50 ms of the close while waiting, else at the next
 *                   write)
 * @param model      the request's model, empty when it had none
 * @param key        the request's {@code x_sim.key}, empty when it had none
 * @param eventsSent how many {@code data:} events had been written before the close was noticed
 */
public record ClientCancel(Instant at, String path, String model, String key, int eventsSent) {
}
