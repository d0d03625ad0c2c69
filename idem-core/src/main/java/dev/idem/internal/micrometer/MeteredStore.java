package dev.idem.internal.micrometer;

import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyMetrics;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Times the round trips the engine makes to a store in {@value IdempotencyMetrics#STORE_REQUESTS},
 * tagged with the store's name, the operation and its result: {@code claim}, {@code complete},
 * {@code release} and {@code renew}. Reads ({@code find}) and deletes are forwarded untimed. The
 * timers are registered when the decorator is created, so a round trip costs no lookup.
 */
public final class MeteredStore extends ForwardingIdempotencyStore {

  private final Timer claimAcquired;
  private final Timer claimInProgress;
  private final Timer claimCompleted;
  private final Timer claimError;
  private final Timers complete;
  private final Timers release;
  private final Timers renew;

  /**
   * Creates a decorator timing the round trips to {@code delegate}.
   *
   * @param delegate the store
   * @param registry the registry the timers are registered in
   */
  public MeteredStore(IdempotencyStore delegate, MeterRegistry registry) {
    super(delegate);
    String store = delegate.name();
    claimAcquired =
        timer(registry, store, IdempotencyMetrics.OP_CLAIM, IdempotencyMetrics.RESULT_ACQUIRED);
    claimInProgress =
        timer(registry, store, IdempotencyMetrics.OP_CLAIM, IdempotencyMetrics.RESULT_IN_PROGRESS);
    claimCompleted =
        timer(registry, store, IdempotencyMetrics.OP_CLAIM, IdempotencyMetrics.RESULT_COMPLETED);
    claimError =
        timer(registry, store, IdempotencyMetrics.OP_CLAIM, IdempotencyMetrics.RESULT_ERROR);
    complete = new Timers(registry, store, IdempotencyMetrics.OP_COMPLETE);
    release = new Timers(registry, store, IdempotencyMetrics.OP_RELEASE);
    renew = new Timers(registry, store, IdempotencyMetrics.OP_RENEW);
  }

  private static Timer timer(
      MeterRegistry registry, String store, String operation, String result) {
    return Timer.builder(IdempotencyMetrics.STORE_REQUESTS)
        .description("Round trips to the idempotency store")
        .tag(IdempotencyMetrics.TAG_STORE, store)
        .tag(IdempotencyMetrics.TAG_OPERATION, operation)
        .tag(IdempotencyMetrics.TAG_RESULT, result)
        .register(registry);
  }

  private static void record(Timer timer, long start) {
    timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  /**
   * Claims in the delegate, timed as {@code acquired}, {@code in_progress} (also when a
   * transactional claim's lock wait timed out), {@code completed} or {@code error}.
   */
  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    long start = System.nanoTime();
    ClaimResult result;
    try {
      result = super.claim(key, fingerprint, owner, lease, ttl);
    } catch (IdempotencyInProgressException e) {
      record(claimInProgress, start);
      throw e;
    } catch (RuntimeException e) {
      record(claimError, start);
      throw e;
    }
    record(
        result instanceof ClaimResult.Acquired
            ? claimAcquired
            : result instanceof ClaimResult.Completed ? claimCompleted : claimInProgress,
        start);
    return result;
  }

  /** Completes in the delegate, timed as {@code applied}, {@code rejected} or {@code error}. */
  @Override
  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
    long start = System.nanoTime();
    try {
      return complete.record(super.complete(key, token, outcome, ttl), start);
    } catch (RuntimeException e) {
      record(complete.error, start);
      throw e;
    }
  }

  /** Releases in the delegate, timed as {@code applied}, {@code rejected} or {@code error}. */
  @Override
  public boolean release(String key, long token) {
    long start = System.nanoTime();
    try {
      return release.record(super.release(key, token), start);
    } catch (RuntimeException e) {
      record(release.error, start);
      throw e;
    }
  }

  /** Renews in the delegate, timed as {@code applied}, {@code rejected} or {@code error}. */
  @Override
  public boolean renew(String key, long token, Duration lease) {
    long start = System.nanoTime();
    try {
      return renew.record(super.renew(key, token, lease), start);
    } catch (RuntimeException e) {
      record(renew.error, start);
      throw e;
    }
  }

  /** The timers of a token-checked write: applied, rejected for a stale token, or failed. */
  private static final class Timers {
    final Timer applied;
    final Timer rejected;
    final Timer error;

    Timers(MeterRegistry registry, String store, String operation) {
      applied = timer(registry, store, operation, IdempotencyMetrics.RESULT_APPLIED);
      rejected = timer(registry, store, operation, IdempotencyMetrics.RESULT_REJECTED);
      error = timer(registry, store, operation, IdempotencyMetrics.RESULT_ERROR);
    }

    boolean record(boolean applied, long start) {
      MeteredStore.record(applied ? this.applied : rejected, start);
      return applied;
    }
  }
}
