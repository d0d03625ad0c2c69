package dev.idem.internal;

import dev.idem.IdempotencyMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

/**
 * What the engine records about calls, waits and store round trips. Without a meter registry the
 * engine gets {@link #NOOP}, whose methods do nothing and read no clock, so an unmonitored call
 * pays for neither. Implementations look meters up once per operation name or store and keep them;
 * recording allocates nothing.
 */
public interface EngineMetrics {

  /** Records nothing. */
  EngineMetrics NOOP = NoopEngineMetrics.INSTANCE;

  /**
   * Returns the metrics of a registry, or {@link #NOOP} without one.
   *
   * @param registry the registry, or null
   * @return the metrics
   */
  static EngineMetrics of(@Nullable MeterRegistry registry) {
    return registry == null ? NOOP : new MicrometerEngineMetrics(registry);
  }

  /**
   * Returns the meters of one operation; the same instance for the same name.
   *
   * @param name the operation name
   * @return its meters
   */
  OperationMetrics operation(String name);

  /**
   * Returns the meters of one store; the same instance for the same name.
   *
   * @param storeName the store's name
   * @return its meters
   */
  StoreMetrics store(String storeName);

  /** The meters of one operation. */
  interface OperationMetrics {

    /**
     * Returns the start of a measurement: {@link System#nanoTime()}, or 0 when not measuring.
     *
     * @return the start time
     */
    long startTime();

    /**
     * Records one call that ended.
     *
     * @param outcome how it ended
     * @param startTime from {@link #startTime()} when it started
     */
    void call(CallOutcome outcome, long startTime);

    /**
     * Records one wait for a running call.
     *
     * @param result how it ended
     * @param startTime from {@link #startTime()} when it started
     */
    void waited(WaitResult result, long startTime);

    /** Counts a takeover of an expired lease. */
    void takeover();

    /** Counts a completion refused for a stale token. */
    void fencingRejection();

    /** Counts a body run unprotected because the store failed (fail-open). */
    void failOpen();
  }

  /** The meters of one store. */
  interface StoreMetrics {

    /**
     * Returns the start of a measurement: {@link System#nanoTime()}, or 0 when not measuring.
     *
     * @return the start time
     */
    long startTime();

    /**
     * Records one round trip.
     *
     * @param operation the store operation
     * @param result its result
     * @param startTime from {@link #startTime()} when it started
     */
    void request(StoreOperation operation, StoreResult result, long startTime);
  }

  /** How a call ended: the {@code outcome} tag. */
  enum CallOutcome {
    /** The body ran and returned. */
    EXECUTED(IdempotencyMetrics.OUTCOME_EXECUTED),
    /** A stored outcome was replayed after a store round trip. */
    REPLAYED(IdempotencyMetrics.OUTCOME_REPLAYED),
    /** A stored outcome was replayed from the near cache. */
    REPLAYED_NEAR(IdempotencyMetrics.OUTCOME_REPLAYED_NEAR),
    /** A duplicate was rejected, or its wait timed out. */
    IN_PROGRESS_REJECTED(IdempotencyMetrics.OUTCOME_IN_PROGRESS_REJECTED),
    /** The key came with another payload. */
    KEY_REUSE(IdempotencyMetrics.OUTCOME_KEY_REUSE),
    /** The body ran and threw. */
    FAILED(IdempotencyMetrics.OUTCOME_FAILED),
    /** The store failed and the body did not run. */
    STORE_ERROR(IdempotencyMetrics.OUTCOME_STORE_ERROR);

    final String tag;

    CallOutcome(String tag) {
      this.tag = tag;
    }
  }

  /** How a wait ended: the {@code result} tag of {@link IdempotencyMetrics#WAIT}. */
  enum WaitResult {
    /** The running call completed. */
    COMPLETED(IdempotencyMetrics.WAIT_COMPLETED),
    /** The running call released the key and the waiter acquired it. */
    ACQUIRED(IdempotencyMetrics.WAIT_ACQUIRED),
    /** The wait timed out. */
    TIMED_OUT(IdempotencyMetrics.WAIT_TIMED_OUT),
    /** The store failed, or the key was taken over with another payload. */
    ABORTED(IdempotencyMetrics.WAIT_ABORTED);

    final String tag;

    WaitResult(String tag) {
      this.tag = tag;
    }
  }

  /** A store operation: the {@code operation} tag. */
  enum StoreOperation {
    /** {@code claim}. */
    CLAIM(IdempotencyMetrics.OP_CLAIM),
    /** {@code complete}. */
    COMPLETE(IdempotencyMetrics.OP_COMPLETE),
    /** {@code release}. */
    RELEASE(IdempotencyMetrics.OP_RELEASE),
    /** {@code renew}. */
    RENEW(IdempotencyMetrics.OP_RENEW);

    final String tag;

    StoreOperation(String tag) {
      this.tag = tag;
    }
  }

  /** The result of a store operation: the {@code result} tag. */
  enum StoreResult {
    /** Claim: acquired. */
    ACQUIRED(IdempotencyMetrics.RESULT_ACQUIRED),
    /** Claim: another call holds the key. */
    IN_PROGRESS(IdempotencyMetrics.RESULT_IN_PROGRESS),
    /** Claim: completed. */
    COMPLETED(IdempotencyMetrics.RESULT_COMPLETED),
    /** Complete, release, renew: changed the record. */
    APPLIED(IdempotencyMetrics.RESULT_APPLIED),
    /** Complete, release, renew: stale token, nothing changed. */
    REJECTED(IdempotencyMetrics.RESULT_REJECTED),
    /** The store threw. */
    ERROR(IdempotencyMetrics.RESULT_ERROR);

    final String tag;

    StoreResult(String tag) {
      this.tag = tag;
    }
  }
}
