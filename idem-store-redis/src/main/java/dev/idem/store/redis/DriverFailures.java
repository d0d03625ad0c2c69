package dev.idem.store.redis;

import org.jspecify.annotations.Nullable;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisResponseTimeoutException;
import org.redisson.client.RedisTimeoutException;

/**
 * Removes record keys from Redisson's exceptions before they become the cause of an {@link
 * dev.idem.IdempotencyStoreException}. Redisson describes the failed command in its messages,
 * parameters included, and the record's Redis key is one of them; keys can carry customer data and
 * must not reach logs above DEBUG. (The other parameters are bytes, which Redisson prints as buffer
 * sizes, or, for the claim's record, as its first ten bytes: the record's header, no owner,
 * fingerprint or outcome.)
 */
final class DriverFailures {

  private static final String REDACTED = "<key>";
  private static final int MAX_DEPTH = 8;

  private DriverFailures() {}

  /**
   * Returns the failure itself when no message in its cause chain contains {@code secret}, or else
   * a copy of the same Redisson type, with the same stack trace, whose messages have it replaced.
   */
  static RuntimeException redact(RuntimeException failure, String secret) {
    Throwable redacted = redact(failure, secret, 0);
    return redacted instanceof RuntimeException runtime ? runtime : failure;
  }

  private static Throwable redact(Throwable failure, String secret, int depth) {
    Throwable cause = failure.getCause();
    Throwable redactedCause =
        cause == null || cause == failure || depth >= MAX_DEPTH
            ? cause
            : redact(cause, secret, depth + 1);
    String message = failure.getMessage();
    boolean leaks = message != null && message.contains(secret);
    if (!leaks && redactedCause == cause) {
      return failure;
    }
    String text = message == null ? null : message.replace(secret, REDACTED);
    Throwable copy = copy(failure, text, redactedCause);
    copy.setStackTrace(failure.getStackTrace());
    return copy;
  }

  private static Throwable copy(
      Throwable failure, @Nullable String message, @Nullable Throwable cause) {
    String text = message == null ? failure.getClass().getName() : message;
    Throwable copy;
    if (failure instanceof RedisResponseTimeoutException) {
      copy = new RedisResponseTimeoutException(text);
    } else if (failure instanceof RedisTimeoutException) {
      copy = new RedisTimeoutException(text);
    } else if (failure instanceof RedisConnectionException) {
      return new RedisConnectionException(text, cause);
    } else {
      return new RedisException(text, cause);
    }
    if (cause != null) {
      copy.initCause(cause);
    }
    return copy;
  }
}
