package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;

/**
 * Jetty's own error pages (a malformed request line, headers too large, ...) as OpenAI error bodies, for the errors
 * that Jetty answers before a request ever reaches Javalin.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    protected void generateResponse(final Request request, final Response response, final int code,
                                    final String message, final Throwable cause, final Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JsonResponse.CONTENT_TYPE);
        response.write(true, ByteBuffer.wrap(JsonResponse.bytes(error(code, message).toJson())), callback);
    }

    private static ApiError error(final int status, final String message) {
        final String text = message == null || message.isBlank() ? HttpStatus.getMessage(status) : message;
        return new ApiError(status, text, status < 500 ? "invalid_request_error" : "server_error", null, null);
    }
}
