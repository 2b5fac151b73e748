package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;
import io.llmgw.schemas.Priority;

import java.util.Optional;

/**
 * A request's place in the workers' admission order, from its headers: {@code X-Priority} ({@code high},
 * {@code normal} or {@code low}; default normal) and {@code X-Fairness-Key} (a tenant below the API key, such as an end
 * user: the workers take turns between keys, then between the fairness keys of one key). A priority that is none of
 * the three is a 400 naming the header: the caller wrote it and can fix it, and guessing would reorder their work.
 */
public final class SchedulingHeaders {

    public static final String PRIORITY_HEADER = "X-Priority";
    public static final String FAIRNESS_KEY_HEADER = "X-Fairness-Key";
    /** Longer fairness keys are cut: they are compared, never shown, and must not grow the envelope without bound. */
    static final int MAX_FAIRNESS_KEY_LENGTH = 256;

    /** What the headers decided. */
    public sealed interface Outcome {

        record Scheduling(Priority priority, String fairnessKey) implements Outcome {
        }

        record Invalid(ApiError error) implements Outcome {
        }
    }

    private SchedulingHeaders() {
    }

    public static Outcome resolve(final String priority, final String fairnessKey) {
        return resolve(priority, fairnessKey, new BearerAuth.Outcome.Allowed(null, null));
    }

    /** As {@link #resolve(String, String)} for a caller whose managed key sets the priority X-Priority may lower. */
    static Outcome resolve(final String priority, final String fairnessKey, final BearerAuth.Outcome.Allowed key) {
        final Priority resolved;
        if (priority == null || priority.isBlank()) {
            resolved = key.priority(Optional.empty());
        } else {
            final var known = Priority.fromHeader(priority);
            if (known.isEmpty()) {
                return new Outcome.Invalid(ApiError.badRequest(PRIORITY_HEADER + " must be one of high, normal or low,"
                        + " got '" + priority.strip() + "'.", null));
            }
            resolved = key.priority(known);
        }
        final String tenant = fairnessKey == null || fairnessKey.isBlank() ? null : fairnessKey.strip();
        return new Outcome.Scheduling(resolved, tenant == null || tenant.length() <= MAX_FAIRNESS_KEY_LENGTH ? tenant
                : tenant.substring(0, MAX_FAIRNESS_KEY_LENGTH));
    }
}
