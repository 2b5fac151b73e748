package io.llmgw.gateway;

import io.javalin.http.Context;
import io.javalin.http.Header;

import java.util.Objects;
import java.util.Optional;

/**
 * Who calls the Files and Batch APIs, and what of theirs they may see: the key check both handlers make before
 * anything else, written once.
 *
 * <p>Stateless; called on the request's virtual thread.
 */
final class FileApiCaller {

    private FileApiCaller() {
    }

    /**
     * The caller's key id (empty for a static key or an open gateway), or null when the key was refused: then the
     * 401 has been answered and the handler stops.
     */
    static Optional<String> of(final BearerAuth auth, final Context ctx) {
        return switch (auth.check(ctx.header(Header.AUTHORIZATION))) {
            case BearerAuth.Outcome.Denied denied -> {
                JsonResponse.error(ctx, denied.error());
                yield null;
            }
            case BearerAuth.Outcome.Allowed allowed -> Optional.ofNullable(allowed.keyId());
        };
    }

    /** Whether something owned by {@code ownerKeyId} is visible to {@code keyId}: always when keys are not enforced. */
    static boolean sees(final BearerAuth auth, final String ownerKeyId, final String keyId) {
        return !auth.enforced() || ownerKeyId == null || Objects.equals(ownerKeyId, keyId);
    }
}
