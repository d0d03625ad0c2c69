package dev.idem;

import org.jspecify.annotations.Nullable;

/**
 * The idempotency key of a call is missing, blank or invalid (HTTP 400). Thrown before any store
 * access and before the body runs.
 */
public final class IdempotencyKeyException extends IdempotencyException {

  private IdempotencyKeyException(String operation, String message, @Nullable Throwable cause) {
    super(operation, message, cause);
  }

  /**
   * Creates the exception for a key that is missing, blank or not usable.
   *
   * @param operation the operation name
   * @param reason why the key was refused, without the key itself
   * @return the exception
   */
  public static IdempotencyKeyException invalid(String operation, String reason) {
    return new IdempotencyKeyException(
        operation, "Invalid idempotency key for operation '" + operation + "': " + reason, null);
  }

  /**
   * Creates the exception for a key expression that failed to evaluate.
   *
   * @param operation the operation name
   * @param cause the evaluation failure
   * @return the exception
   */
  public static IdempotencyKeyException evaluationFailed(String operation, Throwable cause) {
    return new IdempotencyKeyException(
        operation,
        "The idempotency key of operation '" + operation + "' could not be computed: " + cause,
        cause);
  }

  @Override
  public int httpStatus() {
    return 400;
  }
}
