package io.llmgw.gateway;

/**
 * Finds the recorded state of a request, whichever gateway instance keeps it.
 */
public interface RequestDirectory {

    /** What a lookup found. */
    sealed interface Lookup {

        record Found(RequestState state) implements Lookup {
        }

        /** No such request: never seen, or forgotten after its retention. */
        record Missing() implements Lookup {
        }

        /** Another instance holds it (only {@link #findHere} answers this). */
        record Elsewhere(String host, int port) implements Lookup {
        }

        /** Cannot tell right now (a rebalance moves the results, a peer does not answer): worth a retry. */
        record Unavailable(String reason) implements Lookup {
        }
    }

    /**
     * From any instance: answers from this instance's results or asks the instance that holds them.
     *
     * @param authorization the caller's {@code Authorization} header, passed on to the peer asked
     */
    Lookup find(String id, String authorization);

    /** From this instance's own results only, never forwarding: what a peer asks for. */
    Lookup findHere(String id);
}
