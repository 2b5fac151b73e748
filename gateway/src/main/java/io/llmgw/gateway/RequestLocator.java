package io.llmgw.gateway;

import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The interactive-query lookup: asks the results app which instance holds a request and, when it is another one,
 * forwards the lookup there ({@code GET /internal/requests/{id}} on the peer, with the caller's credentials). A peer
 * that does not hold the request either (a rebalance moved it meanwhile) says so instead of forwarding again, so a
 * lookup makes at most one hop.
 */
final class RequestLocator implements RequestDirectory {

    static final String INTERNAL_PREFIX = ApiDocs.INTERNAL_PATHS + "requests/";
    /** Marks a lookup forwarded by a peer, for the logs of the instance asked. */
    static final String FORWARDED_BY = "X-Llmgw-Forwarded-By";

    private static final Logger LOG = LoggerFactory.getLogger(RequestLocator.class);
    private static final JsonSerde<RequestState> STATES = new JsonSerde<>(RequestState.class);

    private final HttpClient http;
    private final Duration timeout;
    private final String gatewayId;
    // set once the HTTP server listens: the results app must know this instance's port before it starts
    private volatile RequestResults results;

    RequestLocator(final HttpClient http, final Duration timeout, final String gatewayId) {
        this.http = http;
        this.timeout = timeout;
        this.gatewayId = gatewayId;
    }

    void attach(final RequestResults started) {
        this.results = started;
    }

    @Override
    public Lookup find(final String id, final String authorization) {
        return switch (findHere(id)) {
            case Lookup.Elsewhere peer -> askPeer(peer, id, authorization);
            case Lookup other -> other;
        };
    }

    @Override
    public Lookup findHere(final String id) {
        final RequestResults current = results;
        return current == null ? new Lookup.Unavailable("the gateway is starting") : current.lookup(id);
    }

    private Lookup askPeer(final Lookup.Elsewhere peer, final String id, final String authorization) {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + peer.host() + ":"
                        + peer.port() + INTERNAL_PREFIX + URLEncoder.encode(id, StandardCharsets.UTF_8)))
                .timeout(timeout)
                .header(FORWARDED_BY, gatewayId)
                .GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            final HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return switch (response.statusCode()) {
                case 200 -> switch (STATES.decode(response.body())) {
                    case Decoded.Ok<RequestState> ok -> new Lookup.Found(ok.value());
                    case Decoded.Failed<RequestState> failed ->
                            new Lookup.Unavailable("the gateway at " + peer.host() + ":" + peer.port()
                                    + " answered unreadably: " + failed.reason());
                };
                case 404 -> new Lookup.Missing();
                default -> new Lookup.Unavailable("the gateway at " + peer.host() + ":" + peer.port()
                        + " holding this request answered HTTP " + response.statusCode());
            };
        } catch (final IOException e) {
            LOG.warn("cannot ask gateway {}:{} for request {}: {}", peer.host(), peer.port(), id, e.toString());
            return new Lookup.Unavailable("the gateway holding this request cannot be reached");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Lookup.Unavailable("interrupted");
        }
    }
}
