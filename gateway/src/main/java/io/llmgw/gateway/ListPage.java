package io.llmgw.gateway;

import io.llmgw.schemas.ApiError;

import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * OpenAI's cursor pagination over a list held in memory: newest first (ties by id), {@code after} is the id of the
 * last item of the previous page, {@code limit} how many to return; {@code has_more} tells whether more follow.
 */
record ListPage<T>(List<T> items, boolean hasMore) {

    /** A parsed {@code limit}, or the 400 for a bad one. */
    sealed interface Limit {
        record Valid(int value) implements Limit {
        }

        record Invalid(ApiError error) implements Limit {
        }
    }

    static Limit limit(final String raw, final int byDefault, final int max) {
        if (raw == null || raw.isBlank()) {
            return new Limit.Valid(byDefault);
        }
        try {
            final int value = Integer.parseInt(raw.strip());
            if (value >= 1 && value <= max) {
                return new Limit.Valid(value);
            }
        } catch (final NumberFormatException e) {
            // answered below
        }
        return new Limit.Invalid(ApiError.badRequest("limit must be an integer from 1 to " + max + ", got '" + raw
                + "'.", "limit"));
    }

    static <T> ListPage<T> of(final List<T> all, final Function<T, String> id, final ToLongFunction<T> createdAt,
                              final String after, final int limit) {
        final List<T> sorted = all.stream()
                .sorted(Comparator.comparingLong(createdAt).reversed().thenComparing(id, Comparator.reverseOrder()))
                .toList();
        int from = 0;
        if (after != null && !after.isBlank()) {
            for (int i = 0; i < sorted.size(); i++) {
                if (id.apply(sorted.get(i)).equals(after)) {
                    from = i + 1;
                    break;
                }
            }
        }
        final int to = Math.min(sorted.size(), from + limit);
        return new ListPage<>(sorted.subList(from, to), to < sorted.size());
    }
}
