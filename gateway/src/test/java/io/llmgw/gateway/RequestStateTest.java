package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Endpoint;
import io.llmgw.schemas.Json;
import io.llmgw.schemas.RequestEnvelope;
import io.llmgw.schemas.ResponseEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestStateTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final long DEADLINE = T0 + 60_000;
    private static final RequestEnvelope REQUEST = new RequestEnvelope("req_1", Endpoint.CHAT_COMPLETIONS, "m", false,
            Json.object(), T0, DEADLINE, 2, "gw", "key_1", 1, true);

    private static RequestState queued() {
        return RequestState.first(ResponseEvent.queued(REQUEST), 2, 40, T0, T0 + 5);
    }

    @Test
    void shouldDescribeTheRequestFromItsQueuedMarker() {
        final RequestState state = queued();

        assertEquals(RequestStatus.QUEUED, state.status());
        assertEquals("m", state.model());
        assertEquals(Endpoint.CHAT_COMPLETIONS, state.endpoint());
        assertTrue(state.detached());
        assertEquals("key_1", state.keyId());
        assertEquals(T0, state.createdAtMs());
        assertEquals(DEADLINE, state.deadlineMs());
        assertEquals(2, state.partition());
        assertEquals(40, state.firstOffset());
    }

    @Test
    void shouldRunOnStartedAndCostNoWriteForFurtherChunks() {
        final RequestState running = queued().apply(ResponseEvent.started(REQUEST), 41, T0, T0 + 10);
        assertEquals(RequestStatus.RUNNING, running.status());
        assertEquals(T0 + 10, running.updatedAtMs());

        final RequestState after = running.apply(ResponseEvent.chunk(REQUEST, 0, Json.object()), 42, T0, T0 + 20);
        assertSame(running, after, "nothing changed, so nothing to store");
    }

    @Test
    void shouldKeepTheFinalResponseObjectOfAStreamedResponsesRequest() {
        final RequestEnvelope responses = new RequestEnvelope("req_2", Endpoint.RESPONSES, "m", true, Json.object(),
                T0, DEADLINE, 2, "gw", null, 1, true);
        final RequestState running = RequestState.first(ResponseEvent.queued(responses), 2, 40, T0, T0)
                .apply(ResponseEvent.chunk(responses, 0, Json.object().put("type", "response.created")), 41, T0, T0);
        final var delta = Json.object().put("type", "response.output_text.delta").put("delta", "hi");
        assertSame(running, running.apply(ResponseEvent.chunk(responses, 1, delta), 42, T0, T0));
        final var completed = Json.object().put("type", "response.completed");
        completed.putObject("response").put("id", "resp_host").put("status", "completed");

        final RequestState done = running.apply(ResponseEvent.chunk(responses, 2, completed), 43, T0, T0)
                .apply(ResponseEvent.complete(responses, 3, null), 44, T0, T0);

        assertEquals(RequestStatus.COMPLETED, done.status());
        assertEquals("resp_host", done.response().get("id").asText());
    }

    @Test
    void shouldKeepTheCompletionWhenANonStreamingRequestCompletes() {
        final var completion = Events.completion("hello");

        final RequestState done = queued().apply(ResponseEvent.complete(REQUEST, 0, completion), 43, T0, T0 + 30);

        assertEquals(RequestStatus.COMPLETED, done.status());
        assertEquals(completion, done.response());
        assertEquals(T0 + 30, done.finishedAtMs());
        assertNull(done.error());
    }

    @Test
    void shouldTellFailedCancelledAndExpiredApartWhenAnErrorEndsIt() {
        assertEquals(RequestStatus.FAILED, queued().apply(ResponseEvent.error(REQUEST, 0,
                ApiError.upstream(503, "busy")), 43, T0, T0).status());
        assertEquals(RequestStatus.CANCELLED, queued().apply(ResponseEvent.error(REQUEST, 0,
                new ApiError(408, "cancelled: client disconnected", "cancelled", null, "cancelled")), 43, T0, T0)
                .status());
        final RequestState expired = queued().apply(ResponseEvent.error(REQUEST, 0,
                ApiError.timeout("deadline passed")), 43, DEADLINE + 3, DEADLINE + 5);
        assertEquals(RequestStatus.EXPIRED, expired.status());
        assertEquals(504, expired.httpStatus());
        assertEquals("deadline passed", expired.error().path("message").asText());
        assertEquals(RequestStatus.FAILED, queued().apply(ResponseEvent.error(REQUEST, 0,
                ApiError.timeout("no first token within 10 s")), 43, T0 + 10_000, T0 + 10_000).status(),
                "a worker's timeout before the deadline is a failure");
    }

    @Test
    void shouldKeepTheFirstOutcomeWhenLaterEventsArrive() {
        final RequestState done = queued().apply(ResponseEvent.complete(REQUEST, 0, Events.completion("a")), 43, T0,
                T0 + 30);

        assertSame(done, done.apply(ResponseEvent.error(REQUEST.withAttempt(2), 0, ApiError.upstream(502, "x")), 50,
                T0, T0 + 40));
    }

    @Test
    void shouldStartItsReplayAtTheEarliestEventWhenTheMarkerArrivesLate() {
        final RequestState running = RequestState.first(ResponseEvent.chunk(REQUEST, 1, Events.completion("b")), 2,
                45, T0, T0 + 5);
        assertNull(running.model(), "a later chunk does not say what the request is");

        final RequestState described = running.apply(ResponseEvent.queued(REQUEST), 44, T0, T0 + 6);

        assertEquals(44, described.firstOffset());
        assertEquals(RequestStatus.RUNNING, described.status(), "the marker never moves a request back");
        assertEquals("m", described.model());
    }

    @Test
    void shouldLearnWhatASynchronousRequestIsFromItsFirstEventOrTheStartedMarker() {
        final RequestState completed = RequestState.first(ResponseEvent.complete(REQUEST, 0, Events.completion("a")),
                2, 44, T0, T0 + 5);
        assertEquals("m", completed.model(), "an attempt's first event describes the request");
        assertEquals(REQUEST.keyId(), completed.keyId());
        assertEquals(RequestStatus.COMPLETED, completed.status());

        final RequestState running = RequestState.first(ResponseEvent.started(REQUEST), 2, 44, T0, T0 + 5);
        assertEquals("m", running.model(), "so does the started marker of a call that lasts");
        assertEquals(RequestStatus.RUNNING, running.status());
    }

    @Test
    void shouldExpireARequestNobodyEndedOnlyAfterTheGrace() {
        final Duration grace = Duration.ofSeconds(2);

        final RequestState queued = queued();
        assertSame(queued, queued.expiredIfOverdue(DEADLINE + 1_999, grace));
        final RequestState expired = queued.expiredIfOverdue(DEADLINE + 2_000, grace);
        assertEquals(RequestStatus.EXPIRED, expired.status());
        assertEquals(504, expired.httpStatus());
    }

    @Test
    void shouldForgetFinishedRequestsAfterTheRetentionAndUnfinishedOnesOnlyOnceExpired() {
        final Duration retention = Duration.ofHours(1);
        final RequestState done = queued().apply(ResponseEvent.complete(REQUEST, 0, Events.completion("a")), 43, T0,
                T0 + 30);

        assertFalse(done.isForgottenAt(T0 + 30 + retention.toMillis() - 1, retention));
        assertTrue(done.isForgottenAt(T0 + 30 + retention.toMillis(), retention));
        assertFalse(queued().isForgottenAt(T0 + 10 * retention.toMillis(), retention), "expired first, then forgotten");
    }

    @Test
    void shouldTakeTheStartTimeFromTheWorkersFirstEventWhenNoStartedMarkerCame() {
        final RequestState done = RequestState.first(ResponseEvent.complete(REQUEST, 0, Events.completion("a"))
                .withStartedAt(T0 + 120), 2, 44, T0 + 300, T0 + 301);

        assertEquals(T0 + 120, done.startedAtMs(), "when the call began, not when its answer was written");
    }
}
