package dev.idem;

/**
 * The key was already used for a request with a different payload fingerprint (HTTP 422). The body
 * did not run; the stored result was not returned.
 */
public final class IdempotencyKeyReuseException extends IdempotencyException {

  private IdempotencyKeyReuseException(String operation, String message) {
    super(operation, message, null);
  }

  /**
   * Creates the exception.
   *
   * @param operation the operation name
   * @return the exception
   */
  public static IdempotencyKeyReuseException of(String operation) {
    return new IdempotencyKeyReuseException(
        operation,
        "Idempotency key of operation '"
            + operation
            + "' was already used with a different payload; use a new key for a new request");
  }

  @Override
  public int httpStatus() {
    return 422;
  }
}
