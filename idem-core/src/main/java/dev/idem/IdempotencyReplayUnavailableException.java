package dev.idem;

import org.jspecify.annotations.Nullable;

/**
 * The key's body already ran successfully, but its outcome cannot be replayed: it was too large or
 * not serializable when stored (the record holds a DROPPED outcome), or it no longer decodes
 * against the method's return type. The body is not run again.
 */
public final class IdempotencyReplayUnavailableException extends IdempotencyException {

  private IdempotencyReplayUnavailableException(
      String operation, String message, @Nullable Throwable cause) {
    super(operation, message, cause);
  }

  /**
   * Creates the exception for an outcome that was dropped when stored.
   *
   * @param operation the operation name
   * @param reason why it was dropped, as recorded by the first call
   * @return the exception
   */
  public static IdempotencyReplayUnavailableException dropped(String operation, String reason) {
    return new IdempotencyReplayUnavailableException(
        operation,
        "Operation '"
            + operation
            + "' already ran for this idempotency key, but its result was not stored: "
            + reason,
        null);
  }

  /**
   * Creates the exception for a stored outcome that cannot be decoded any more.
   *
   * @param operation the operation name
   * @param cause the decoding failure
   * @return the exception
   */
  public static IdempotencyReplayUnavailableException undecodable(
      String operation, Throwable cause) {
    return new IdempotencyReplayUnavailableException(
        operation,
        "Operation '"
            + operation
            + "' already ran for this idempotency key, but its stored result cannot be decoded: "
            + cause,
        cause);
  }

  @Override
  public int httpStatus() {
    return 500;
  }
}
