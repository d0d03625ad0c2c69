package dev.idem;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A call with the same key is still running (HTTP 409): the policy says {@code REJECT}, or a
 * waiting duplicate reached its wait timeout; the body did not run. Also thrown to a caller whose
 * claim was taken over while its body ran (its lease ended) when the caller that took over has not
 * stored an outcome either ({@link #superseded}). Retrying later is safe.
 */
public final class IdempotencyInProgressException extends IdempotencyException {

  private final @Nullable Duration retryAfter;

  private IdempotencyInProgressException(
      String operation, String message, @Nullable Duration retryAfter, @Nullable Throwable cause) {
    super(operation, message, cause);
    this.retryAfter = retryAfter;
  }

  /**
   * Creates the exception for a duplicate rejected at once.
   *
   * @param operation the operation name
   * @param retryAfter a hint for when to retry (the remaining lease), or null
   * @return the exception
   */
  public static IdempotencyInProgressException rejected(
      String operation, @Nullable Duration retryAfter) {
    return new IdempotencyInProgressException(
        operation,
        "A call of operation '" + operation + "' with the same idempotency key is in progress",
        retryAfter,
        null);
  }

  /**
   * Creates the exception for a duplicate whose wait for the running call timed out.
   *
   * @param operation the operation name
   * @param waited how long the duplicate waited
   * @return the exception
   */
  public static IdempotencyInProgressException waitTimedOut(String operation, Duration waited) {
    return new IdempotencyInProgressException(
        operation,
        "A call of operation '"
            + operation
            + "' with the same idempotency key was still in progress after waiting "
            + waited.toMillis()
            + " ms",
        null,
        null);
  }

  /**
   * Creates the exception for a duplicate that blocked on a transactional claim until the
   * database's lock timeout.
   *
   * @param operation the operation name
   * @param cause the lock timeout reported by the database
   * @return the exception
   */
  public static IdempotencyInProgressException lockTimedOut(String operation, Throwable cause) {
    return new IdempotencyInProgressException(
        operation,
        "A transaction holding the idempotency key of operation '"
            + operation
            + "' did not finish within the database lock timeout",
        null,
        cause);
  }

  /**
   * Creates the exception for a caller whose claim was lost while its body ran (taken over after
   * its lease, or deleted by an operator), and whose result was therefore not stored (fencing),
   * when no outcome of the key is stored to return instead: the caller that took over failed and
   * released the key, the record was deleted, or it expired.
   *
   * @param operation the operation name
   * @return the exception
   */
  public static IdempotencyInProgressException superseded(String operation) {
    return new IdempotencyInProgressException(
        operation,
        "A call of operation '"
            + operation
            + "' lost its claim while it ran (its lease ended and another caller took the key"
            + " over, or an operator deleted the record); its result was not stored, and no other"
            + " outcome is stored yet. Retry the call",
        null,
        null);
  }

  /**
   * Returns a hint for when a retry may succeed, suitable for an HTTP {@code Retry-After} header.
   *
   * @return the hint, or null when none is known
   */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  @Override
  public int httpStatus() {
    return 409;
  }
}
