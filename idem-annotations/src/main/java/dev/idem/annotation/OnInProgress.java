package dev.idem.annotation;

/**
 * What a duplicate call does when it finds the same key claimed by a call that is still running.
 */
public enum OnInProgress {
  /**
   * Use the value of the policy the method refers to, or of the global defaults. The built-in
   * default is {@link #WAIT}.
   */
  DEFAULT,

  /**
   * Block until the running call completes (bounded by the policy's wait timeout), then return its
   * result. If the running call fails and releases the key, the waiter claims it and runs the body
   * itself. If the wait times out, the waiter fails with {@code IdempotencyInProgressException}.
   */
  WAIT,

  /**
   * Fail at once with {@code IdempotencyInProgressException} (HTTP 409): the caller retries later.
   */
  REJECT
}
