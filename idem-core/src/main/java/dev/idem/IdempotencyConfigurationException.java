package dev.idem;

import org.jspecify.annotations.Nullable;

/**
 * Idem is misused: an {@code @Idempotent} method whose expressions do not parse, whose durations
 * are invalid, whose return type cannot be replayed, or an aspect used before {@link
 * Idempotency#configure(IdempotencyConfig)}. Raised when the method is first validated, before its
 * body ever runs, with a message naming the method and saying how to fix it.
 */
public final class IdempotencyConfigurationException extends IdempotencyException {

  private IdempotencyConfigurationException(String message, @Nullable Throwable cause) {
    super(null, message, cause);
  }

  /**
   * Creates the exception for a misconfigured method.
   *
   * @param method the method, as {@code Class.method(..)}
   * @param problem what is wrong and how to fix it
   * @return the exception
   */
  public static IdempotencyConfigurationException forMethod(String method, String problem) {
    return new IdempotencyConfigurationException(
        "Invalid @Idempotent method " + method + ": " + problem, null);
  }

  /**
   * Creates the exception for a misconfigured method, with a cause.
   *
   * @param method the method, as {@code Class.method(..)}
   * @param problem what is wrong and how to fix it
   * @param cause the underlying failure
   * @return the exception
   */
  public static IdempotencyConfigurationException forMethod(
      String method, String problem, Throwable cause) {
    return new IdempotencyConfigurationException(
        "Invalid @Idempotent method " + method + ": " + problem + " (" + cause + ")", cause);
  }

  /**
   * Creates the exception for a problem not tied to one method.
   *
   * @param message what is wrong and how to fix it
   * @return the exception
   */
  public static IdempotencyConfigurationException of(String message) {
    return new IdempotencyConfigurationException(message, null);
  }

  @Override
  public int httpStatus() {
    return 500;
  }
}
