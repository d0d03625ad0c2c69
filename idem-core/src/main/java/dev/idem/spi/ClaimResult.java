package dev.idem.spi;

import java.util.Objects;

/**
 * What {@link IdempotencyStore#claim} found: the caller acquired the key, another call holds it, or
 * the key is already completed.
 */
public sealed interface ClaimResult
    permits ClaimResult.Acquired, ClaimResult.InProgress, ClaimResult.Completed {

  /**
   * Returns a result saying the caller now holds the key.
   *
   * @param token the fencing token of the new claim
   * @param takeover whether an expired lease of another claimant was taken over
   * @return the result
   */
  static Acquired acquired(long token, boolean takeover) {
    return new Acquired(token, takeover, false);
  }

  /**
   * Returns a result saying the caller holds the key through a claim bound to its own database
   * transaction (the SQL store's transactional mode): the claim, the body's writes and the
   * completion commit or roll back together, so there is no lease to renew.
   *
   * @param token the fencing token of the new claim
   * @return the result
   */
  static Acquired acquiredInTransaction(long token) {
    return new Acquired(token, false, true);
  }

  /**
   * Returns a result saying another call holds a live lease on the key.
   *
   * @param record the current record
   * @return the result
   */
  static InProgress inProgress(IdempotencyRecord record) {
    return new InProgress(record);
  }

  /**
   * Returns a result saying the key is completed.
   *
   * @param record the completed record
   * @return the result
   */
  static Completed completed(IdempotencyRecord record) {
    return new Completed(record);
  }

  /**
   * The caller holds the key and must run the body, then complete or release with the token.
   *
   * @param token the fencing token; positive
   * @param takeover true if an expired lease was taken over
   * @param transactional true if the claim is bound to the caller's database transaction: the
   *     engine then neither renews the lease (another connection would block on the uncommitted
   *     row) nor expects the record to outlive a rollback
   */
  record Acquired(long token, boolean takeover, boolean transactional) implements ClaimResult {
    /** Validates the token. */
    public Acquired {
      if (token <= 0) {
        throw new IllegalArgumentException("token must be positive: " + token);
      }
    }
  }

  /**
   * Another call holds a live lease on the key.
   *
   * @param record the record, in state {@link RecordState#IN_PROGRESS}
   */
  record InProgress(IdempotencyRecord record) implements ClaimResult {
    /** Validates the record. */
    public InProgress {
      Objects.requireNonNull(record, "record");
      if (record.state() != RecordState.IN_PROGRESS) {
        throw new IllegalArgumentException("record is not IN_PROGRESS: " + record.state());
      }
    }
  }

  /**
   * The key is completed; its outcome is to be replayed.
   *
   * @param record the record, in state {@link RecordState#COMPLETED}
   */
  record Completed(IdempotencyRecord record) implements ClaimResult {
    /** Validates the record. */
    public Completed {
      Objects.requireNonNull(record, "record");
      if (record.state() != RecordState.COMPLETED) {
        throw new IllegalArgumentException("record is not COMPLETED: " + record.state());
      }
    }
  }
}
