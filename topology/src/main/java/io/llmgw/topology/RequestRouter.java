package io.llmgw.topology;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.DeadLetterHeaders;
import io.llmgw.schemas.Decoded;
import io.llmgw.schemas.JsonSerde;
import io.llmgw.schemas.ModelRoute;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.RequestLog;
import io.llmgw.schemas.ResponseEvent;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Decides where one request record goes: its model's topic (bytes and headers untouched), an error event for the
 * asking gateway (invalid, expired, unknown model), or the dead-letter topic (unreadable). Never throws: every input
 * record produces exactly one {@link RoutingDecision}.
 */
public final class RequestRouter implements Processor<String, byte[], String, RoutingDecision> {

    static final String STAGE = "router";
    private static final Logger LOG = LoggerFactory.getLogger(RequestRouter.class);

    private final JsonSerde<RequestEnvelope> envelopes;
    private ProcessorContext<String, RoutingDecision> context;
    private KeyValueStore<String, ModelRoute> registry;

    public RequestRouter(final JsonSerde<RequestEnvelope> envelopes) {
        this.envelopes = envelopes;
    }

    @Override
    public void init(final ProcessorContext<String, RoutingDecision> context) {
        this.context = context;
        this.registry = context.getStateStore(RouterTopology.REGISTRY_STORE);
    }

    @Override
    public void process(final Record<String, byte[]> record) {
        switch (envelopes.decode(record.value())) {
            case Decoded.Failed<RequestEnvelope> failed -> deadLetter(record, failed.reason());
            case Decoded.Ok<RequestEnvelope> ok -> ok.value().missingPart()
                    .ifPresentOrElse(reason -> deadLetter(record, reason), () -> route(record, ok.value()));
        }
    }

    private void route(final Record<String, byte[]> record, final RequestEnvelope envelope) {
        final Optional<ApiError> invalid = RequestValidation.invalidRequest(envelope);
        if (invalid.isPresent()) {
            reject(record, envelope, invalid.get());
            return;
        }
        // The context's system time, not System.currentTimeMillis(): tests move it with advanceWallClockTime.
        if (envelope.isExpiredAt(context.currentSystemTimeMs())) {
            reject(record, envelope, ApiError.timeout("The request passed its deadline before it reached a model worker."));
            return;
        }
        final ModelRoute route = registry.get(envelope.model());
        if (route == null) {
            reject(record, envelope, ApiError.modelNotFound(envelope.model()));
            return;
        }
        context.forward(record.withValue(new RoutingDecision.Forward(route.topic(), record.value())));
    }

    private void reject(final Record<String, byte[]> record, final RequestEnvelope envelope, final ApiError error) {
        RequestLog.with(envelope.id(), () ->
                LOG.debug("request {} rejected by the router: {} {}", envelope.id(), error.status(), error.message()));
        // seq 0: the router is the first and only stage that answers a request it does not route.
        final ResponseEvent event = ResponseEvent.error(envelope, 0, error);
        context.forward(record.withKey(envelope.id()).withValue(new RoutingDecision.Reject(event)));
    }

    private void deadLetter(final Record<String, byte[]> record, final String reason) {
        RequestLog.with(record.key(), () ->
                LOG.warn("request record {} sent to the dead-letter topic: {}", record.key(), reason));
        // a copy: a processor must not change the headers of the record it was given
        final var source = context.recordMetadata();
        final Headers headers = DeadLetterHeaders.of(record.headers(), reason, STAGE,
                source.map(m -> m.topic()).orElse(null), source.map(m -> m.partition()).orElse(-1),
                source.map(m -> m.offset()).orElse(-1L));
        context.forward(record.withValue(new RoutingDecision.DeadLetter(record.value()))
                .withHeaders(headers));
    }
}
