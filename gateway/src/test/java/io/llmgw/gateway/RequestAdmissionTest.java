package io.llmgw.gateway;

import io.llmgw.schemas.Endpoint;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestAdmissionTest {

    private static RequestValidator.Outcome.Accepted accepted(final Endpoint endpoint, final String body) {
        return (RequestValidator.Outcome.Accepted) new RequestValidator(FakeModels.of("m"))
                .validate(endpoint, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void shouldTreatOnlyResponsesWithBackgroundTrueAsBackground() {
        assertTrue(RequestAdmission.isBackground(accepted(Endpoint.RESPONSES,
                "{\"model\":\"m\",\"input\":\"hi\",\"background\":true}")));
        assertFalse(RequestAdmission.isBackground(accepted(Endpoint.RESPONSES,
                "{\"model\":\"m\",\"input\":\"hi\",\"background\":false}")));
        assertFalse(RequestAdmission.isBackground(accepted(Endpoint.COMPLETIONS,
                "{\"model\":\"m\",\"prompt\":\"hi\",\"background\":true}")));
    }

    @Test
    void shouldStreamABackgroundResponseFromTheHostWithoutTheBackgroundFlag() {
        final RequestValidator.Outcome.Accepted original = accepted(Endpoint.RESPONSES,
                "{\"model\":\"m\",\"input\":\"hi\",\"background\":true,\"temperature\":0.70}");

        final RequestValidator.Outcome.Accepted upstream = RequestAdmission.inBackground(original);

        assertTrue(upstream.stream());
        assertEquals("{\"model\":\"m\",\"input\":\"hi\",\"temperature\":0.70,\"stream\":true}",
                upstream.body().toString());
        assertTrue(original.body().has("background"), "the client's body is not changed");
    }

    @Test
    void shouldFindRespondAsyncAmongOtherPreferences() {
        assertTrue(RequestAdmission.prefersAsync("wait=10, respond-async"));
        assertFalse(RequestAdmission.prefersAsync("return=minimal"));
        assertFalse(RequestAdmission.prefersAsync(null));
    }
}
