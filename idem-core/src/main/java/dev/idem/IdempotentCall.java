package dev.idem;

import org.jspecify.annotations.Nullable;

/**
 * One ended call of an idempotent operation, as an {@link IdempotencyListener} is told it: the
 * operation, how the call ended, how long it took, and what happened on the way (a wait for a
 * running duplicate, a takeover of an expired lease, a result refused by fencing, a store failure
 * run through unprotected).
 *
 * <p>Carries no key, scope or payload, which may hold customer data. Implemented by Idem only.
 */
public interface IdempotentCall {

  /**
   * Returns the name of the operation called.
   *
   * @return the operation name
   */
  String operation();

  /**
   * Returns how the call ended.
   *
   * @return the outcome
   */
  Outcome outcome();

  /**
   * Returns how long the call took, from reaching the engine to its end (for a {@code
   * CompletionStage} result, until the stage completed), waiting and body included.
   *
   * @return the duration in nanoseconds
   */
  long durationNanos();

  /**
   * Returns what the call threw, or what its {@code CompletionStage} completed with: the body's
   * exception, a replayed one, or an Idem exception.
   *
   * @return the exception, or null if the call returned normally
   */
  @Nullable Throwable failure();

  /**
   * Returns how the call's wait for a running duplicate with the same key ended.
   *
   * @return the result of the wait, or null if the call did not wait
   */
  @Nullable WaitResult waitResult();

  /**
   * Returns how long the call waited for a running duplicate with the same key.
   *
   * @return the wait in nanoseconds; 0 if the call did not wait
   */
  long waitNanos();

  /**
   * Returns whether the call took over a key whose previous owner's lease had ended (a crashed or
   * too slow first call).
   *
   * @return true after a takeover
   */
  boolean tookOver();

  /**
   * Returns whether the call's result was refused because its token was stale: its lease ended
   * while the body ran and another call took the key over (fencing). Such a call answers with the
   * other call's outcome.
   *
   * @return true after a fencing rejection
   */
  boolean fencedOff();

  /**
   * Returns whether the body ran unprotected because the store failed at claim time and the
   * operation's policy fails open.
   *
   * @return true for a call that failed open
   */
  boolean failedOpen();

  /** How a call ended; the {@value IdempotencyMetrics#TAG_OUTCOME} tag of Idem's meters. */
  enum Outcome {
    /** The body ran and returned. */
    EXECUTED(IdempotencyMetrics.OUTCOME_EXECUTED),
    /** The body ran and threw. */
    FAILED(IdempotencyMetrics.OUTCOME_FAILED),
    /** A stored outcome was returned or rethrown, after a store round trip. */
    REPLAYED(IdempotencyMetrics.OUTCOME_REPLAYED),
    /** A stored outcome was returned or rethrown from the near cache. */
    REPLAYED_NEAR(IdempotencyMetrics.OUTCOME_REPLAYED_NEAR),
    /** A duplicate of a running call was rejected, or its wait timed out. */
    IN_PROGRESS_REJECTED(IdempotencyMetrics.OUTCOME_IN_PROGRESS_REJECTED),
    /** The key came with another payload; the body did not run. */
    KEY_REUSE(IdempotencyMetrics.OUTCOME_KEY_REUSE),
    /**
     * The store failed and the body did not run, or (a transactional claim) the body's result could
     * not be stored and its writes roll back with it.
     */
    STORE_ERROR(IdempotencyMetrics.OUTCOME_STORE_ERROR);

    private final String tag;

    Outcome(String tag) {
      this.tag = tag;
    }

    /**
     * Returns the value of the {@value IdempotencyMetrics#TAG_OUTCOME} tag.
     *
     * @return the tag value, such as {@value IdempotencyMetrics#OUTCOME_EXECUTED}
     */
    public String tag() {
      return tag;
    }
  }

  /** How a wait for a running duplicate ended; the {@value IdempotencyMetrics#TAG_RESULT} tag. */
  enum WaitResult {
    /** The running call completed and its outcome was replayed. */
    COMPLETED(IdempotencyMetrics.WAIT_COMPLETED),
    /** The running call released the key and the waiting call ran the body itself. */
    ACQUIRED(IdempotencyMetrics.WAIT_ACQUIRED),
    /** The wait timed out, or the waiting thread was interrupted. */
    TIMED_OUT(IdempotencyMetrics.WAIT_TIMED_OUT),
    /** The store failed, or the key was taken over with another payload. */
    ABORTED(IdempotencyMetrics.WAIT_ABORTED);

    private final String tag;

    WaitResult(String tag) {
      this.tag = tag;
    }

    /**
     * Returns the value of the {@value IdempotencyMetrics#TAG_RESULT} tag of {@value
     * IdempotencyMetrics#WAIT}.
     *
     * @return the tag value, such as {@value IdempotencyMetrics#WAIT_COMPLETED}
     */
    public String tag() {
      return tag;
    }
  }
}
