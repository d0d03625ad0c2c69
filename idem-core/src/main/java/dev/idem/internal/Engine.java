package dev.idem.internal;

import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyConfigurationException;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyKeyReuseException;
import dev.idem.IdempotencyReplayUnavailableException;
import dev.idem.IdempotencyStoreException;
import dev.idem.NearCacheSettings;
import dev.idem.ThrowingSupplier;
import dev.idem.annotation.OnInProgress;
import dev.idem.internal.EngineMetrics.CallOutcome;
import dev.idem.internal.EngineMetrics.OperationMetrics;
import dev.idem.internal.EngineMetrics.StoreMetrics;
import dev.idem.internal.EngineMetrics.StoreOperation;
import dev.idem.internal.EngineMetrics.StoreResult;
import dev.idem.internal.EngineMetrics.WaitResult;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import dev.idem.store.NearCachingStore;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The idempotency algorithm, written once for every store: claim, wait or reject duplicates,
 * execute while renewing the lease, complete with fencing, release on failure, replay.
 *
 * <p>Operations whose policy turns near caching on first look for a completed record in a {@link
 * NearCachingStore} in front of the store and claim through it; the others claim from the store
 * itself. Every call, wait and store round trip is recorded in the {@link EngineMetrics}.
 */
public final class Engine implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger("dev.idem");
  private static final int COMPLETE_ATTEMPTS = 3;
  private static final long MIN_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final IdempotencyConfig config;

  /** The store itself, without near cache: the target of every call that does not use one. */
  private final IdempotencyStore store;

  private final String owner;
  private final EngineMetrics metrics;
  private final StoreMetrics storeMetrics;
  private final ThreadLocal<String> owners;
  private volatile @Nullable NearCachingStore near;
  private volatile @Nullable ScheduledExecutorService renewals;

  /** The claims whose bodies are running, renewed by one periodic sweep. */
  private final Set<Renewal> running = ConcurrentHashMap.newKeySet();

  private volatile long sweepPeriodNanos = Long.MAX_VALUE;
  private @Nullable ScheduledFuture<?> sweeper; // guarded by this

  /**
   * Creates the engine of a configuration.
   *
   * @param config the configuration
   */
  public Engine(IdempotencyConfig config) {
    this.config = config;
    IdempotencyStore configured = config.store();
    if (configured instanceof NearCachingStore nearCaching) {
      this.store = nearCaching.delegate();
      this.near = nearCaching;
    } else {
      this.store = configured;
      this.near =
          config
              .nearCache()
              .map(settings -> NearCachingStore.wrap(configured, settings, config.clock()))
              .orElse(null);
    }
    this.owner = config.owner();
    this.owners = ThreadLocal.withInitial(() -> owner + "#" + Thread.currentThread().getId());
    this.metrics = EngineMetrics.of(config.meterRegistry().orElse(null));
    this.storeMetrics = metrics.store(store.name());
  }

  /**
   * Returns the near cache calls of near-caching operations go through, creating it with {@link
   * NearCacheSettings#ofDefaults()} if the configuration did not size one.
   *
   * @return the near cache
   */
  public NearCachingStore nearCache() {
    NearCachingStore cache = near;
    if (cache == null) {
      synchronized (this) {
        cache = near;
        if (cache == null) {
          near =
              cache = NearCachingStore.wrap(store, NearCacheSettings.ofDefaults(), config.clock());
        }
      }
    }
    return cache;
  }

  /**
   * Reads the record of a composed key from the store itself, not from the near cache.
   *
   * @param key the composed key
   * @return the live record, or empty
   */
  public Optional<IdempotencyRecord> find(String key) {
    return store.find(key);
  }

  /**
   * Removes the record of a composed key whatever its state, as {@link IdempotencyStore#delete}
   * does, and from this engine's near cache.
   *
   * @param key the composed key
   * @return true if a record was removed
   */
  public boolean delete(String key) {
    NearCachingStore cache = near;
    return cache != null ? cache.delete(key) : store.delete(key);
  }

  /**
   * Runs one call of an operation with idempotency.
   *
   * @param op the operation
   * @param key the composed key
   * @param fingerprint the payload fingerprint, or null for none
   * @param body the body
   * @return the body's result, or the replayed one
   * @throws Throwable what the body threw, a replayed exception, or an Idem exception
   */
  public @Nullable Object execute(
      OperationSpec op,
      String key,
      @Nullable String fingerprint,
      ThrowingSupplier<?, ? extends Throwable> body)
      throws Throwable {
    OperationMetrics meters = metrics.operation(op.name());
    long start = meters.startTime();
    ResolvedPolicy policy = op.policy();
    IdempotencyStore target = store;
    if (policy.nearCache()) {
      NearCachingStore cache = nearCache();
      IdempotencyRecord cached = cache.getIfCached(key);
      if (cached != null) {
        return replay(op, cached, fingerprint, meters, start, CallOutcome.REPLAYED_NEAR);
      }
      target = cache;
    }
    ClaimResult result;
    try {
      result = claim(target, key, fingerprint, policy);
    } catch (IdempotencyStoreException e) {
      if (!policy.failOpen()) {
        meters.call(CallOutcome.STORE_ERROR, start);
        throw e;
      }
      LOG.log(
          Level.WARNING,
          "Idempotency store unavailable; running operation ''{0}'' unprotected (fail-open): {1}",
          op.name(),
          e.getMessage());
      meters.failOpen();
      return runUnprotected(op, body, meters, start);
    } catch (IdempotencyInProgressException e) {
      meters.call(CallOutcome.IN_PROGRESS_REJECTED, start);
      throw named(op, e);
    }
    Waiter waiter = null;
    long waitStart = 0;
    try {
      while (true) {
        if (result instanceof ClaimResult.Acquired acquired) {
          if (waiter != null) {
            meters.waited(WaitResult.ACQUIRED, waitStart);
          }
          return run(op, key, fingerprint, acquired, body, meters, start);
        }
        if (result instanceof ClaimResult.Completed completed) {
          if (waiter != null) {
            meters.waited(WaitResult.COMPLETED, waitStart);
          }
          return replay(op, completed.record(), fingerprint, meters, start, CallOutcome.REPLAYED);
        }
        IdempotencyRecord running = ((ClaimResult.InProgress) result).record();
        if (!fingerprintsMatch(fingerprint, running.fingerprint())) {
          if (waiter != null) {
            meters.waited(WaitResult.ABORTED, waitStart);
          }
          meters.call(CallOutcome.KEY_REUSE, start);
          throw IdempotencyKeyReuseException.of(op.name());
        }
        if (policy.onInProgress() == OnInProgress.REJECT) {
          meters.call(CallOutcome.IN_PROGRESS_REJECTED, start);
          throw IdempotencyInProgressException.rejected(op.name(), retryAfter(running));
        }
        if (waiter == null) {
          // subscribe, then claim again at once: a completion between the first claim and the
          // subscription is seen by that claim, and later ones wake the waiter
          waitStart = meters.startTime();
          waiter = new Waiter(key, policy.waitTimeout());
        } else if (!waiter.awaitNextPoll()) {
          meters.waited(WaitResult.TIMED_OUT, waitStart);
          meters.call(CallOutcome.IN_PROGRESS_REJECTED, start);
          throw IdempotencyInProgressException.waitTimedOut(op.name(), policy.waitTimeout());
        }
        try {
          result = claim(target, key, fingerprint, policy);
        } catch (IdempotencyStoreException e) {
          meters.waited(WaitResult.ABORTED, waitStart);
          meters.call(CallOutcome.STORE_ERROR, start);
          throw e;
        } catch (IdempotencyInProgressException e) {
          meters.waited(WaitResult.ABORTED, waitStart);
          meters.call(CallOutcome.IN_PROGRESS_REJECTED, start);
          throw named(op, e);
        }
      }
    } finally {
      if (waiter != null) {
        waiter.close();
      }
    }
  }

  /** A store reports a transactional lock timeout without the operation's name; add it. */
  private static IdempotencyInProgressException named(
      OperationSpec op, IdempotencyInProgressException e) {
    if (op.name().equals(e.operation())) {
      return e;
    }
    return IdempotencyInProgressException.lockTimedOut(
        op.name(), e.getCause() != null ? e.getCause() : e);
  }

  private ClaimResult claim(
      IdempotencyStore target, String key, @Nullable String fingerprint, ResolvedPolicy policy) {
    long start = storeMetrics.startTime();
    ClaimResult result;
    try {
      result = target.claim(key, fingerprint, ownerOfThisCall(), policy.lease(), policy.ttl());
    } catch (IdempotencyStoreException e) {
      storeMetrics.request(StoreOperation.CLAIM, StoreResult.ERROR, start);
      throw e;
    } catch (IdempotencyInProgressException e) {
      storeMetrics.request(StoreOperation.CLAIM, StoreResult.IN_PROGRESS, start);
      throw e;
    } catch (RuntimeException e) {
      storeMetrics.request(StoreOperation.CLAIM, StoreResult.ERROR, start);
      throw IdempotencyStoreException.of(target.name(), "claim", e);
    }
    storeMetrics.request(
        StoreOperation.CLAIM,
        result instanceof ClaimResult.Acquired
            ? StoreResult.ACQUIRED
            : result instanceof ClaimResult.Completed
                ? StoreResult.COMPLETED
                : StoreResult.IN_PROGRESS,
        start);
    return result;
  }

  private @Nullable Object runUnprotected(
      OperationSpec op,
      ThrowingSupplier<?, ? extends Throwable> body,
      OperationMetrics meters,
      long start)
      throws Throwable {
    Object value;
    try {
      value = body.get();
    } catch (Throwable failure) {
      meters.call(CallOutcome.FAILED, start);
      throw failure;
    }
    if (op.codec().shape() == ResultCodec.Shape.ASYNC
        && value instanceof CompletionStage<?> stage) {
      stage.whenComplete(
          (ignored, error) ->
              meters.call(error == null ? CallOutcome.EXECUTED : CallOutcome.FAILED, start));
    } else {
      meters.call(CallOutcome.EXECUTED, start);
    }
    return value;
  }

  private String ownerOfThisCall() {
    return owners.get();
  }

  private @Nullable Object run(
      OperationSpec op,
      String key,
      @Nullable String fingerprint,
      ClaimResult.Acquired acquired,
      ThrowingSupplier<?, ? extends Throwable> body,
      OperationMetrics meters,
      long start)
      throws Throwable {
    long token = acquired.token();
    boolean transactional = acquired.transactional();
    if (transactional && op.codec().shape() == ResultCodec.Shape.ASYNC) {
      try {
        store.release(key, token);
      } catch (RuntimeException ignored) {
        // the exception below rolls the caller's transaction back, claim included
      }
      meters.call(CallOutcome.FAILED, start);
      throw IdempotencyConfigurationException.forMethod(
          op.description(),
          "a CompletionStage result cannot join the SQL store's transactional mode: the future"
              + " completes after the transaction; return the value itself, or run it outside"
              + " the transaction");
    }
    if (acquired.takeover()) {
      meters.takeover();
      LOG.log(
          Level.INFO,
          "Operation ''{0}'': took over a claim whose lease had ended (token {1})",
          op.name(),
          String.valueOf(token));
    }
    Renewal renewal = transactional ? null : startRenewal(op, key, token, op.policy().lease());
    Object value;
    try {
      value = body.get();
    } catch (Throwable failure) {
      stop(renewal);
      if (!settleFailure(op, key, token, transactional, failure, meters)) {
        return superseded(op, key, fingerprint, meters, start);
      }
      meters.call(CallOutcome.FAILED, start);
      throw failure;
    }
    if (op.codec().shape() == ResultCodec.Shape.ASYNC && value != null) {
      return settleAsync(
          op, key, fingerprint, token, (CompletionStage<?>) value, renewal, meters, start);
    }
    stop(renewal);
    boolean stored;
    try {
      stored = completeWith(op, key, token, transactional, op.codec().encodeValue(value), meters);
    } catch (RuntimeException e) {
      meters.call(CallOutcome.STORE_ERROR, start);
      throw e;
    }
    if (!stored) {
      return superseded(op, key, fingerprint, meters, start);
    }
    meters.call(CallOutcome.EXECUTED, start);
    return value;
  }

  /**
   * Answers a caller whose completion was refused by fencing: its claim was taken over while the
   * body ran, so its own result was never stored and no other caller of the key will ever see it.
   * It gets what every other caller gets: the outcome of the caller that took over, waited for
   * under the policy's rules while that caller runs; or, if nothing is stored (that caller failed
   * and released the key), {@link IdempotencyInProgressException#superseded}.
   */
  private @Nullable Object superseded(
      OperationSpec op,
      String key,
      @Nullable String fingerprint,
      OperationMetrics meters,
      long start)
      throws Throwable {
    ResolvedPolicy policy = op.policy();
    Waiter waiter = null;
    try {
      while (true) {
        IdempotencyRecord current;
        try {
          current = store.find(key).orElse(null);
        } catch (RuntimeException e) {
          meters.call(CallOutcome.STORE_ERROR, start);
          throw e instanceof IdempotencyStoreException
              ? e
              : IdempotencyStoreException.of(store.name(), "find", e);
        }
        if (current == null) {
          meters.call(CallOutcome.IN_PROGRESS_REJECTED, start);
          throw IdempotencyInProgressException.superseded(op.name());
        }
        if (current.isCompleted()) {
          return replay(op, current, fingerprint, meters, start, CallOutcome.REPLAYED);
        }
        if (policy.onInProgress() == OnInProgress.REJECT) {
          meters.call(CallOutcome.IN_PROGRESS_REJECTED, start);
          throw IdempotencyInProgressException.rejected(op.name(), retryAfter(current));
        }
        if (waiter == null) {
          waiter = new Waiter(key, policy.waitTimeout());
        } else if (!waiter.awaitNextPoll()) {
          meters.call(CallOutcome.IN_PROGRESS_REJECTED, start);
          throw IdempotencyInProgressException.waitTimedOut(op.name(), policy.waitTimeout());
        }
      }
    } finally {
      if (waiter != null) {
        waiter.close();
      }
    }
  }

  private CompletableFuture<Object> settleAsync(
      OperationSpec op,
      String key,
      @Nullable String fingerprint,
      long token,
      CompletionStage<?> stage,
      @Nullable Renewal renewal,
      OperationMetrics meters,
      long start) {
    CompletableFuture<Object> settled = new CompletableFuture<>();
    stage.whenComplete(
        (value, error) -> {
          stop(renewal);
          try {
            boolean stored;
            Throwable cause = error == null ? null : unwrap(error);
            if (cause != null) {
              stored = settleFailure(op, key, token, false, cause, meters);
            } else {
              stored = completeWith(op, key, token, false, op.codec().encodeValue(value), meters);
            }
            if (!stored) {
              // waiting for the caller that took over must not block the thread that completed
              // the body's future
              CompletableFuture.runAsync(
                  () -> settleSuperseded(op, key, fingerprint, meters, start, settled));
            } else if (cause != null) {
              meters.call(CallOutcome.FAILED, start);
              settled.completeExceptionally(cause);
            } else {
              meters.call(CallOutcome.EXECUTED, start);
              settled.complete(value);
            }
          } catch (Throwable unexpected) {
            settled.completeExceptionally(unexpected);
          }
        });
    return settled;
  }

  private void settleSuperseded(
      OperationSpec op,
      String key,
      @Nullable String fingerprint,
      OperationMetrics meters,
      long start,
      CompletableFuture<Object> settled) {
    try {
      Object replayed = superseded(op, key, fingerprint, meters, start);
      if (replayed instanceof CompletionStage<?> stage) {
        stage.whenComplete(
            (value, error) -> {
              if (error != null) {
                settled.completeExceptionally(unwrap(error));
              } else {
                settled.complete(value);
              }
            });
      } else {
        settled.complete(replayed);
      }
    } catch (Throwable failure) {
      settled.completeExceptionally(failure);
    }
  }

  /**
   * Stores a failure listed in {@code replayOn} as the outcome, or releases the claim.
   *
   * @return false if the outcome was refused by fencing (the claim was taken over), else true
   */
  private boolean settleFailure(
      OperationSpec op,
      String key,
      long token,
      boolean transactional,
      Throwable failure,
      OperationMetrics meters) {
    Class<? extends Throwable> replayed = op.policy().replayedTypeOf(failure);
    if (replayed != null) {
      try {
        return completeWith(
            op, key, token, transactional, op.codec().encodeException(failure, replayed), meters);
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
        return true;
      }
    }
    long start = storeMetrics.startTime();
    try {
      boolean released = store.release(key, token);
      storeMetrics.request(
          StoreOperation.RELEASE, released ? StoreResult.APPLIED : StoreResult.REJECTED, start);
      if (!released) {
        LOG.log(
            Level.DEBUG,
            "Operation ''{0}'': nothing to release for token {1} (taken over or expired)",
            op.name(),
            String.valueOf(token));
      }
    } catch (RuntimeException e) {
      storeMetrics.request(StoreOperation.RELEASE, StoreResult.ERROR, start);
      // the claim stays until its lease ends; a retry then takes it over
      failure.addSuppressed(e);
      LOG.log(
          Level.WARNING,
          "Operation ''{0}'': could not release the key after a failure; it stays claimed until"
              + " its lease ends: {1}",
          op.name(),
          e.toString());
    }
    return true;
  }

  /**
   * Stores the outcome. A lease-based claim retries a failed write and then gives up with an error
   * log, because the body has run and reporting a failure would invite a retry that runs it again.
   * A transactional claim throws instead, so the caller's transaction rolls back together with the
   * body's writes rather than committing them without a completed record.
   *
   * @return false if the store refused the outcome because the token is stale (fencing), else true
   */
  private boolean completeWith(
      OperationSpec op,
      String key,
      long token,
      boolean transactional,
      Outcome outcome,
      OperationMetrics meters) {
    RuntimeException last = null;
    for (int attempt = 1; attempt <= COMPLETE_ATTEMPTS; attempt++) {
      long start = storeMetrics.startTime();
      try {
        boolean completed = store.complete(key, token, outcome, op.policy().ttl());
        storeMetrics.request(
            StoreOperation.COMPLETE, completed ? StoreResult.APPLIED : StoreResult.REJECTED, start);
        if (!completed && transactional) {
          throw IdempotencyStoreException.of(
              store.name(),
              "complete",
              "the record of a transactional claim was not found for its token; rolling back");
        }
        if (!completed) {
          meters.fencingRejection();
          LOG.log(
              Level.WARNING,
              "Operation ''{0}'': result not stored because token {1} is stale: the lease ended"
                  + " and another caller took the key over (fencing); this caller gets that"
                  + " caller's outcome instead. Consider a longer lease.",
              op.name(),
              String.valueOf(token));
        }
        return completed;
      } catch (RuntimeException e) {
        storeMetrics.request(StoreOperation.COMPLETE, StoreResult.ERROR, start);
        if (transactional) {
          throw e instanceof IdempotencyStoreException
              ? e
              : IdempotencyStoreException.of(store.name(), "complete", e);
        }
        last = e;
        if (attempt < COMPLETE_ATTEMPTS) {
          sleepQuietly(Duration.ofMillis(25L << attempt));
        }
      }
    }
    // the body has run: reporting failure would invite a retry that runs it again
    LOG.log(
        Level.ERROR,
        "Operation ''{0}'': the body ran but its result could not be stored; the key stays claimed"
            + " until its lease ends, after which a retry runs the body again",
        op.name(),
        last);
    return true;
  }

  private @Nullable Object replay(
      OperationSpec op,
      IdempotencyRecord record,
      @Nullable String fingerprint,
      OperationMetrics meters,
      long start,
      CallOutcome replayed)
      throws Throwable {
    if (!fingerprintsMatch(fingerprint, record.fingerprint())) {
      meters.call(CallOutcome.KEY_REUSE, start);
      throw IdempotencyKeyReuseException.of(op.name());
    }
    try {
      return decode(op, record);
    } finally {
      meters.call(replayed, start);
    }
  }

  private @Nullable Object decode(OperationSpec op, IdempotencyRecord record) throws Throwable {
    Outcome outcome = record.outcome();
    if (outcome == null) {
      throw IdempotencyReplayUnavailableException.undecodable(
          op.name(), new IOException("completed record without outcome"));
    }
    boolean async = op.codec().shape() == ResultCodec.Shape.ASYNC;
    try {
      switch (outcome.kind()) {
        case VALUE:
          Object value = op.codec().decodeValue(outcome.unsafeBytes());
          return async ? CompletableFuture.completedFuture(value) : value;
        case VOID:
          return async ? CompletableFuture.completedFuture(null) : null;
        case EXCEPTION:
          Throwable exception =
              op.codec().decodeException(outcome.unsafeBytes(), op.policy().replayOn());
          if (async) {
            return CompletableFuture.failedFuture(exception);
          }
          throw exception;
        case DROPPED:
        default:
          throw IdempotencyReplayUnavailableException.dropped(
              op.name(), new String(outcome.unsafeBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw IdempotencyReplayUnavailableException.undecodable(op.name(), e);
    }
  }

  private static boolean fingerprintsMatch(@Nullable String ours, @Nullable String stored) {
    return ours == null || stored == null || ours.equals(stored);
  }

  private @Nullable Duration retryAfter(IdempotencyRecord running) {
    Instant leaseUntil = running.leaseUntil();
    if (leaseUntil == null) {
      return null;
    }
    Duration remaining = Duration.between(config.clock().instant(), leaseUntil);
    return remaining.isNegative() ? Duration.ZERO : remaining;
  }

  private static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  private static void sleepQuietly(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Registers a running claim for renewal every third of its lease. One sweep renews all running
   * claims, so a call costs a set insertion and removal rather than a scheduled task (whose
   * scheduling wakes the renewal thread on every call).
   */
  private Renewal startRenewal(OperationSpec op, String key, long token, Duration lease) {
    long every = Math.max(MIN_SWEEP_NANOS, lease.toNanos() / 3);
    Renewal renewal = new Renewal(op, key, token, lease, every, System.nanoTime() + every);
    running.add(renewal);
    // a claim registered just after a sweep is renewed at most half a period late
    long period = Math.max(MIN_SWEEP_NANOS, every / 2);
    if (period < sweepPeriodNanos) {
      sweepEvery(period);
    }
    return renewal;
  }

  private void stop(@Nullable Renewal renewal) {
    if (renewal != null) {
      running.remove(renewal);
    }
  }

  private synchronized void sweepEvery(long period) {
    if (period >= sweepPeriodNanos) {
      return;
    }
    ScheduledFuture<?> previous = sweeper;
    if (previous != null) {
      previous.cancel(false);
    }
    sweeper =
        renewalExecutor().scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.NANOSECONDS);
    sweepPeriodNanos = period;
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Renewal renewal : running) {
      if (now - renewal.dueAt >= 0) {
        renewal.dueAt = now + renewal.every;
        try {
          renew(renewal);
        } catch (RuntimeException | Error e) {
          // an exception would cancel the sweep for every other claim
          LOG.log(Level.WARNING, "Lease renewal failed unexpectedly", e);
        }
      }
    }
  }

  private ScheduledExecutorService renewalExecutor() {
    ScheduledExecutorService executor = renewals;
    if (executor == null) {
      synchronized (this) {
        executor = renewals;
        if (executor == null) {
          ScheduledThreadPoolExecutor created =
              new ScheduledThreadPoolExecutor(
                  1,
                  runnable -> {
                    Thread thread = new Thread(runnable, "idem-lease-renewal");
                    thread.setDaemon(true);
                    return thread;
                  });
          created.setRemoveOnCancelPolicy(true);
          renewals = executor = created;
        }
      }
    }
    return executor;
  }

  /** Stops the lease-renewal thread. Does not close the store. */
  @Override
  public void close() {
    ScheduledExecutorService executor = renewals;
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  private void renew(Renewal renewal) {
    OperationSpec op = renewal.op;
    long token = renewal.token;
    long start = storeMetrics.startTime();
    try {
      boolean renewed = store.renew(renewal.key, token, renewal.lease);
      storeMetrics.request(
          StoreOperation.RENEW, renewed ? StoreResult.APPLIED : StoreResult.REJECTED, start);
      // a claim that settled meanwhile is no longer renewable: that is not a lost lease
      if (!renewed && running.remove(renewal)) {
        LOG.log(
            Level.WARNING,
            "Operation ''{0}'': lease of token {1} lost (taken over or expired); the result of"
                + " this call will not be stored",
            op.name(),
            String.valueOf(token));
      }
    } catch (RuntimeException e) {
      storeMetrics.request(StoreOperation.RENEW, StoreResult.ERROR, start);
      LOG.log(
          Level.WARNING,
          "Operation ''{0}'': lease renewal failed, will retry: {1}",
          op.name(),
          e.toString());
    }
  }

  /** A running claim whose lease the sweep renews; none for transactional claims. */
  private static final class Renewal {
    final OperationSpec op;
    final String key;
    final long token;
    final Duration lease;
    final long every;

    /** When the next renewal is due, on the {@link System#nanoTime()} line; sweep thread only. */
    long dueAt;

    Renewal(OperationSpec op, String key, long token, Duration lease, long every, long dueAt) {
      this.op = op;
      this.key = key;
      this.token = token;
      this.lease = lease;
      this.every = every;
      this.dueAt = dueAt;
    }
  }

  /** A duplicate waiting for the running call: woken by the store or polling with backoff. */
  private final class Waiter implements AutoCloseable {
    private final Semaphore signal = new Semaphore(0);
    private final CompletionNotifier.@Nullable Subscription subscription;
    private final long deadline;
    private long intervalNanos;

    Waiter(String key, Duration timeout) {
      this.deadline = System.nanoTime() + timeout.toNanos();
      this.intervalNanos = config.initialPollInterval().toNanos();
      this.subscription =
          store.completionNotifier().map(n -> n.subscribe(key, signal::release)).orElse(null);
    }

    /** Blocks until woken or the next poll is due; false once the wait timeout has passed. */
    boolean awaitNextPoll() {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return false;
      }
      long jittered =
          intervalNanos / 2 + ThreadLocalRandom.current().nextLong(intervalNanos / 2 + 1);
      try {
        if (signal.tryAcquire(Math.min(jittered, remaining), TimeUnit.NANOSECONDS)) {
          signal.drainPermits();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      intervalNanos = Math.min(intervalNanos * 2, config.maxPollInterval().toNanos());
      return true;
    }

    @Override
    public void close() {
      if (subscription != null) {
        subscription.close();
      }
    }
  }
}
