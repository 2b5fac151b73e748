package io.llmgw.gateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link RequestDirectory} over a map the test fills; {@link #unavailable} makes every lookup answer so. */
final class FakeRequests implements RequestDirectory {

    final Map<String, RequestState> states = new ConcurrentHashMap<>();
    volatile String unavailable;
    volatile String lastAuthorization;

    @Override
    public Lookup find(final String id, final String authorization) {
        lastAuthorization = authorization;
        return findHere(id);
    }

    @Override
    public Lookup findHere(final String id) {
        if (unavailable != null) {
            return new Lookup.Unavailable(unavailable);
        }
        final RequestState state = states.get(id);
        return state == null ? new Lookup.Missing() : new Lookup.Found(state);
    }
}
