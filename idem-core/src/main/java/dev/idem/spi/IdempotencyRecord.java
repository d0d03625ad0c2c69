package dev.idem.spi;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one idempotency record as the store holds it.
 *
 * @param key the composed key
 * @param state the state
 * @param token the current fencing token; positive
 * @param owner the claimant that holds or completed the record, for diagnostics
 * @param fingerprint the payload fingerprint, or null when the operation has none
 * @param leaseUntil when the lease ends (store clock) while {@code IN_PROGRESS}; null once
 *     completed
 * @param outcome the stored outcome once {@code COMPLETED}; null while in progress
 * @param createdAt when the record was first claimed (store clock)
 * @param expiresAt when the record expires (store clock)
 */
public record IdempotencyRecord(
    String key,
    RecordState state,
    long token,
    String owner,
    @Nullable String fingerprint,
    @Nullable Instant leaseUntil,
    @Nullable Outcome outcome,
    Instant createdAt,
    Instant expiresAt) {

  /** Validates that the fields are consistent with the state. */
  public IdempotencyRecord {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (token <= 0) {
      throw new IllegalArgumentException("token must be positive: " + token);
    }
    if (state == RecordState.COMPLETED && outcome == null) {
      throw new IllegalArgumentException("a COMPLETED record needs an outcome");
    }
    if (state == RecordState.IN_PROGRESS && leaseUntil == null) {
      throw new IllegalArgumentException("an IN_PROGRESS record needs a lease end");
    }
  }

  /**
   * Returns whether the record is completed.
   *
   * @return true if {@code state == COMPLETED}
   */
  public boolean isCompleted() {
    return state == RecordState.COMPLETED;
  }

  @Override
  public String toString() {
    // no raw key: records end up in logs and assertion messages
    return "IdempotencyRecord[state="
        + state
        + ", token="
        + token
        + ", owner="
        + owner
        + ", leaseUntil="
        + leaseUntil
        + ", outcome="
        + outcome
        + ", createdAt="
        + createdAt
        + ", expiresAt="
        + expiresAt
        + "]";
  }
}
