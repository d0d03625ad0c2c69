package dev.idem;

import org.jspecify.annotations.Nullable;

/**
 * The root of every exception Idem throws. All are unchecked, and none carries a raw key in its
 * message: keys can hold customer data, so exceptions name the operation and the policy instead.
 */
public abstract class IdempotencyException extends RuntimeException {

  private final @Nullable String operation;

  IdempotencyException(@Nullable String operation, String message, @Nullable Throwable cause) {
    super(message, cause);
    this.operation = operation;
  }

  /**
   * Returns the name of the operation ({@code @Idempotent(name)}) the failed call belonged to.
   *
   * @return the operation name, or null when the failure is not tied to one operation
   */
  public @Nullable String operation() {
    return operation;
  }

  /**
   * Returns the HTTP status an API should answer with, following the IETF Idempotency-Key header
   * draft: 400 for a bad key, 409 for a request still in progress, 422 for a key reused with a
   * different payload, 503 for a store outage, 500 otherwise.
   *
   * @return the HTTP status code
   */
  public abstract int httpStatus();
}
