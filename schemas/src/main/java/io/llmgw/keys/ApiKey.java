package io.llmgw.keys;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.llmgw.schemas.Priority;

import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One API key as the compacted {@code llm.keys} topic keeps it, keyed by {@link #name}: never the secret, only its
 * salted digest ({@link KeySecret}). A revoked key stays in the table (revoked), so that revoking the last key never
 * turns an enforcing gateway into an open one.
 *
 * @param id             random and not secret; the secret starts with it, so a gateway finds the key in one lookup
 * @param name           the operator's name for it (unique; what {@code keys update/revoke} and usage use)
 * @param salt           hex, random per key
 * @param secretDigest   hex SHA-256 of the salt and the secret
 * @param models         globs of the models it may call ({@code *} any run of characters); empty: every model
 * @param rpm            requests per minute, or null for no limit
 * @param tpm            tokens per minute, or null
 * @param maxConcurrent  requests at once, or null
 * @param priority       its requests' priority, the highest {@code X-Priority} may ask for; null is normal
 * @param expiresAt      when it stops working (epoch seconds, as OpenAI's objects count time), or null
 * @param revoked        whether it was revoked
 * @param createdAt      when it was created (epoch seconds)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiKey(
        @JsonProperty("id") String id,
        @JsonProperty("name") String name,
        @JsonProperty("salt") String salt,
        @JsonProperty("secret_digest") String secretDigest,
        @JsonProperty("models") List<String> models,
        @JsonProperty("rpm") Integer rpm,
        @JsonProperty("tpm") Integer tpm,
        @JsonProperty("max_concurrent") Integer maxConcurrent,
        @JsonProperty("priority") Priority priority,
        @JsonProperty("expires_at") Long expiresAt,
        @JsonProperty("revoked") boolean revoked,
        @JsonProperty("created_at") long createdAt) {

    /** Names are what operators type and what metrics carry: short, plain, no spaces. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

    public ApiKey {
        if (id == null || !KeySecret.ID.matcher(id).matches()) {
            throw new IllegalArgumentException("a key id is 16 lowercase hex digits: " + id);
        }
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a key name is 1-64 of [A-Za-z0-9._@-], starting with a letter or"
                    + " digit: " + name);
        }
        if (salt == null || salt.isEmpty() || secretDigest == null || secretDigest.isEmpty()) {
            throw new IllegalArgumentException("key " + name + " has no salt or digest");
        }
        models = models == null ? List.of() : List.copyOf(models);
        positive("rpm", rpm);
        positive("tpm", tpm);
        positive("max_concurrent", maxConcurrent);
    }

    /** Whether the key may call {@code model}. */
    public boolean allows(final String model) {
        return models.isEmpty() || models.stream().anyMatch(glob -> ModelGlob.matches(glob, model));
    }

    /** Whether it works at {@code now}: not revoked, not expired. */
    @JsonIgnore
    public boolean usableAt(final Instant now) {
        return !revoked && (expiresAt == null || now.getEpochSecond() < expiresAt);
    }

    /** The priority its requests get, and the highest X-Priority may ask for. */
    @JsonIgnore
    public Priority priorityOrDefault() {
        return priority == null ? Priority.NORMAL : priority;
    }

    public ApiKey revoke() {
        return new ApiKey(id, name, salt, secretDigest, models, rpm, tpm, maxConcurrent, priority, expiresAt, true,
                createdAt);
    }

    private static void positive(final String field, final Integer value) {
        if (value != null && value < 1) {
            throw new IllegalArgumentException(field + " must be at least 1: " + value);
        }
    }
}
