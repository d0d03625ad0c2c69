package dev.idem.internal;

import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyConfigurationException;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyKeyReuseException;
import dev.idem.IdempotencyListener;
import dev.idem.IdempotencyReplayUnavailableException;
import dev.idem.IdempotencyStoreException;
import dev.idem.IdempotentCall;
import dev.idem.NearCacheSettings;
import dev.idem.ThrowingSupplier;
import dev.idem.annotation.OnInProgress;
import dev.idem.internal.micrometer.MicrometerBinding;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The idempotency algorithm, written once for every store (DESIGN.md §2, steps 4 to 8): replay from
 * the near cache, claim, reject or wait for a running duplicate, execute while renewing the lease,
 * complete with fencing, release on failure, replay.
 *
 * <p>Operations whose policy turns near caching on first look for a completed record in a {@link
 * NearCachingStore} in front of the store and claim through it; the others claim from the store
 * itself.
 *
 * <p>Observing stays beside the algorithm: every call is reported once, when it ends, to the
 * configured {@link IdempotencyListener}s (Idem's Micrometer meters among them), from the {@link
 * Call} that carries it through the steps; store round trips are timed by a decorator of the store.
 * Without listeners and meters a call reads no clock for them.
 */
public final class Engine implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger("dev.idem");
  private static final int COMPLETE_ATTEMPTS = 3;
  private static final long MIN_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final IdempotencyConfig config;

  /** The configured store without near cache or observer: what a near cache is put in front of. */
  private final IdempotencyStore backing;

  /** Wraps a store the engine calls so that its round trips are timed; else the identity. */
  private final UnaryOperator<IdempotencyStore> observed;

  /** The backing store as the engine calls it: the target of every call without near cache. */
  private final IdempotencyStore store;

  /** Told how every call ended; empty when nobody listens. */
  private final IdempotencyListener[] listeners;

  private final ThreadLocal<String> owners;
  private volatile @Nullable NearCache near;
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
    MicrometerBinding meters = MicrometerBinding.of(config);
    this.observed = meters == null ? UnaryOperator.identity() : meters::meter;
    this.listeners = listeners(meters, config.listeners());
    IdempotencyStore configured = config.store();
    if (configured instanceof NearCachingStore nearCaching) {
      this.backing = nearCaching.delegate();
      this.near = new NearCache(nearCaching, observed.apply(nearCaching));
    } else {
      this.backing = configured;
      this.near = config.nearCache().map(this::nearCacheOf).orElse(null);
    }
    this.store = observed.apply(backing);
    String owner = config.owner();
    this.owners = ThreadLocal.withInitial(() -> owner + "#" + Thread.currentThread().getId());
  }

  private static IdempotencyListener[] listeners(
      @Nullable MicrometerBinding meters, List<IdempotencyListener> configured) {
    List<IdempotencyListener> all = new ArrayList<>();
    if (meters != null) {
      all.add(meters.listener());
    }
    all.addAll(configured);
    return all.toArray(IdempotencyListener[]::new);
  }

  private NearCache nearCacheOf(NearCacheSettings settings) {
    NearCachingStore cache = NearCachingStore.wrap(backing, settings, config.clock());
    return new NearCache(cache, observed.apply(cache));
  }

  /**
   * Returns the near cache calls of near-caching operations go through, creating it with {@link
   * NearCacheSettings#ofDefaults()} if the configuration did not size one.
   */
  private NearCache nearCache() {
    NearCache cache = near;
    if (cache == null) {
      synchronized (this) {
        cache = near;
        if (cache == null) {
          near = cache = nearCacheOf(NearCacheSettings.ofDefaults());
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
    NearCache cache = near;
    return cache != null ? cache.cache().delete(key) : store.delete(key);
  }

  /**
   * Runs one call of an operation with idempotency, and reports it to the listeners when it ends.
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
    Call call = new Call(op, key, fingerprint);
    Object result;
    try {
      result = execute(call, body);
    } catch (Throwable thrown) {
      throw call.threw(thrown);
    }
    return call.returned(result);
  }

  /** Steps 4 to 8 of one call: near cache, claim, wait or reject, then run or replay. */
  private @Nullable Object execute(Call call, ThrowingSupplier<?, ? extends Throwable> body)
      throws Throwable {
    ResolvedPolicy policy = call.op.policy();
    IdempotencyStore target = store;
    if (policy.nearCache()) {
      NearCache cache = nearCache();
      IdempotencyRecord cached = cache.cache().getIfCached(call.key);
      if (cached != null) {
        return replay(call, cached, Step.REPLAY_NEAR);
      }
      target = cache.claims();
    }
    ClaimResult claimed;
    try {
      claimed = claim(target, call);
    } catch (IdempotencyStoreException e) {
      if (!policy.failOpen()) {
        throw e;
      }
      LOG.log(
          Level.WARNING,
          "Idempotency store unavailable; running operation ''{0}'' unprotected (fail-open): {1}",
          call.op.name(),
          e.getMessage());
      return runUnprotected(call, body);
    }
    if (claimed instanceof ClaimResult.InProgress inProgress) {
      claimed = awaitTurn(target, call, inProgress.record());
    }
    if (claimed instanceof ClaimResult.Acquired acquired) {
      return run(call, acquired, body);
    }
    return replay(call, ((ClaimResult.Completed) claimed).record(), Step.REPLAY);
  }

  /**
   * Answers a claim that found the key in progress: rejects the call, or waits for the running one
   * and claims again whenever the store announces a completion or the next poll is due.
   *
   * @param running the record of the call holding the key
   * @return the claim once it is acquired or completed
   */
  private ClaimResult awaitTurn(IdempotencyStore target, Call call, IdempotencyRecord running) {
    ResolvedPolicy policy = call.op.policy();
    ClaimResult result = null;
    Waiter waiter = null;
    try {
      while (true) {
        if (!fingerprintsMatch(call.fingerprint, running.fingerprint())) {
          throw IdempotencyKeyReuseException.of(call.op.name());
        }
        if (policy.onInProgress() == OnInProgress.REJECT) {
          throw IdempotencyInProgressException.rejected(call.op.name(), retryAfter(running));
        }
        if (waiter == null) {
          // subscribe, then claim again at once: a completion between the first claim and the
          // subscription is seen by that claim, and later ones wake the waiter
          waiter = call.waiter = new Waiter(call.key, policy.waitTimeout());
        } else if (!waiter.awaitNextPoll()) {
          throw IdempotencyInProgressException.waitTimedOut(call.op.name(), policy.waitTimeout());
        }
        result = claim(target, call);
        if (!(result instanceof ClaimResult.InProgress stillRunning)) {
          return result;
        }
        running = stillRunning.record();
      }
    } finally {
      if (waiter != null) {
        waiter.end(result);
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

  private ClaimResult claim(IdempotencyStore target, Call call) {
    ResolvedPolicy policy = call.op.policy();
    try {
      return target.claim(call.key, call.fingerprint, owners.get(), policy.lease(), policy.ttl());
    } catch (IdempotencyStoreException e) {
      throw e;
    } catch (IdempotencyInProgressException e) {
      throw named(call.op, e);
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(target.name(), "claim", e);
    }
  }

  private @Nullable Object runUnprotected(Call call, ThrowingSupplier<?, ? extends Throwable> body)
      throws Throwable {
    call.step = Step.RUN;
    call.failedOpen = true;
    Object value = body.get();
    if (isAsync(call.op) && value instanceof CompletionStage<?> stage) {
      call.endsLater = true;
      stage.whenComplete((ignored, error) -> call.ended(error == null ? null : unwrap(error)));
    }
    return value;
  }

  private static boolean isAsync(OperationSpec op) {
    return op.codec().shape() == ResultCodec.Shape.ASYNC;
  }

  private @Nullable Object run(
      Call call, ClaimResult.Acquired acquired, ThrowingSupplier<?, ? extends Throwable> body)
      throws Throwable {
    call.step = Step.RUN;
    OperationSpec op = call.op;
    long token = acquired.token();
    boolean transactional = acquired.transactional();
    if (transactional && isAsync(op)) {
      try {
        store.release(call.key, token);
      } catch (RuntimeException ignored) {
        // the exception below rolls the caller's transaction back, claim included
      }
      throw IdempotencyConfigurationException.forMethod(
          op.description(),
          "a CompletionStage result cannot join the SQL store's transactional mode: the future"
              + " completes after the transaction; return the value itself, or run it outside"
              + " the transaction");
    }
    if (acquired.takeover()) {
      call.tookOver = true;
      LOG.log(
          Level.INFO,
          "Operation ''{0}'': took over a claim whose lease had ended (token {1})",
          op.name(),
          String.valueOf(token));
    }
    Renewal renewal = transactional ? null : startRenewal(op, call.key, token, op.policy().lease());
    Object value;
    try {
      value = body.get();
    } catch (Throwable failure) {
      stop(renewal);
      if (!settleFailure(call, token, transactional, failure)) {
        return superseded(call);
      }
      throw failure;
    }
    if (isAsync(op) && value != null) {
      return settleAsync(call, token, (CompletionStage<?>) value, renewal);
    }
    stop(renewal);
    call.step = Step.STORE;
    if (!completeWith(call, token, transactional, op.codec().encodeValue(value))) {
      return superseded(call);
    }
    return value;
  }

  /**
   * Answers a caller whose completion was refused by fencing: its claim was taken over while the
   * body ran, so its own result was never stored and no other caller of the key will ever see it.
   * It gets what every other caller gets: the outcome of the caller that took over, waited for
   * under the policy's rules while that caller runs; or, if nothing is stored (that caller failed
   * and released the key), {@link IdempotencyInProgressException#superseded}.
   */
  private @Nullable Object superseded(Call call) throws Throwable {
    call.step = Step.CLAIM;
    OperationSpec op = call.op;
    ResolvedPolicy policy = op.policy();
    Waiter waiter = null;
    try {
      while (true) {
        IdempotencyRecord current;
        try {
          current = store.find(call.key).orElse(null);
        } catch (RuntimeException e) {
          throw e instanceof IdempotencyStoreException
              ? e
              : IdempotencyStoreException.of(store.name(), "find", e);
        }
        if (current == null) {
          throw IdempotencyInProgressException.superseded(op.name());
        }
        if (current.isCompleted()) {
          return replay(call, current, Step.REPLAY);
        }
        if (policy.onInProgress() == OnInProgress.REJECT) {
          throw IdempotencyInProgressException.rejected(op.name(), retryAfter(current));
        }
        if (waiter == null) {
          waiter = new Waiter(call.key, policy.waitTimeout());
        } else if (!waiter.awaitNextPoll()) {
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
      Call call, long token, CompletionStage<?> stage, @Nullable Renewal renewal) {
    call.endsLater = true;
    CompletableFuture<Object> settled = new CompletableFuture<>();
    stage.whenComplete(
        (value, error) -> {
          stop(renewal);
          try {
            boolean stored;
            Throwable cause = error == null ? null : unwrap(error);
            if (cause != null) {
              stored = settleFailure(call, token, false, cause);
            } else {
              call.step = Step.STORE;
              stored = completeWith(call, token, false, call.op.codec().encodeValue(value));
            }
            if (!stored) {
              // waiting for the caller that took over must not block the thread that completed
              // the body's future
              CompletableFuture.runAsync(() -> settleSuperseded(call, settled));
            } else {
              settle(call, settled, value, cause);
            }
          } catch (Throwable unexpected) {
            settle(call, settled, null, unexpected);
          }
        });
    return settled;
  }

  private void settleSuperseded(Call call, CompletableFuture<Object> settled) {
    try {
      Object replayed = superseded(call);
      if (replayed instanceof CompletionStage<?> stage) {
        stage.whenComplete(
            (value, error) -> settle(call, settled, value, error == null ? null : unwrap(error)));
      } else {
        settle(call, settled, replayed, null);
      }
    } catch (Throwable failure) {
      settle(call, settled, null, failure);
    }
  }

  /** Ends an asynchronous call: reports it, then completes the future its caller holds. */
  private static void settle(
      Call call,
      CompletableFuture<Object> settled,
      @Nullable Object value,
      @Nullable Throwable error) {
    call.ended(error);
    if (error != null) {
      settled.completeExceptionally(error);
    } else {
      settled.complete(value);
    }
  }

  /**
   * Stores a failure listed in {@code replayOn} as the outcome, or releases the claim.
   *
   * @return false if the outcome was refused by fencing (the claim was taken over), else true
   */
  private boolean settleFailure(Call call, long token, boolean transactional, Throwable failure) {
    OperationSpec op = call.op;
    Class<? extends Throwable> replayed = op.policy().replayedTypeOf(failure);
    if (replayed != null) {
      try {
        return completeWith(
            call, token, transactional, op.codec().encodeException(failure, replayed));
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
        return true;
      }
    }
    try {
      if (!store.release(call.key, token)) {
        LOG.log(
            Level.DEBUG,
            "Operation ''{0}'': nothing to release for token {1} (taken over or expired)",
            op.name(),
            String.valueOf(token));
      }
    } catch (RuntimeException e) {
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
  private boolean completeWith(Call call, long token, boolean transactional, Outcome outcome) {
    OperationSpec op = call.op;
    RuntimeException last = null;
    for (int attempt = 1; attempt <= COMPLETE_ATTEMPTS; attempt++) {
      try {
        boolean completed = store.complete(call.key, token, outcome, op.policy().ttl());
        if (!completed && transactional) {
          throw IdempotencyStoreException.of(
              store.name(),
              "complete",
              "the record of a transactional claim was not found for its token; rolling back");
        }
        if (!completed) {
          call.fencedOff = true;
          LOG.log(
              Level.WARNING,
              "Operation ''{0}'': result not stored because token {1} is stale: the lease ended"
                  + " and another caller took the key over (fencing); this caller gets that"
                  + " caller''s outcome instead. Consider a longer lease.",
              op.name(),
              String.valueOf(token));
        }
        return completed;
      } catch (RuntimeException e) {
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

  /** Step 6: checks the payload against the record's, then returns or rethrows its outcome. */
  private @Nullable Object replay(Call call, IdempotencyRecord record, Step replaying)
      throws Throwable {
    if (!fingerprintsMatch(call.fingerprint, record.fingerprint())) {
      throw IdempotencyKeyReuseException.of(call.op.name());
    }
    call.step = replaying;
    return decode(call.op, record);
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
    try {
      // a claim that settled meanwhile is no longer renewable: that is not a lost lease
      if (!store.renew(renewal.key, token, renewal.lease) && running.remove(renewal)) {
        LOG.log(
            Level.WARNING,
            "Operation ''{0}'': lease of token {1} lost (taken over or expired); the result of"
                + " this call will not be stored",
            op.name(),
            String.valueOf(token));
      }
    } catch (RuntimeException e) {
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

  /**
   * A duplicate waiting for the running call: woken by the store or polling with backoff. It keeps
   * when it started and, once ended, how long it waited and how the wait ended.
   */
  private final class Waiter implements AutoCloseable {
    private final Semaphore signal = new Semaphore(0);
    private final CompletionNotifier.@Nullable Subscription subscription;
    private final long startNanos;
    private final long deadline;
    private long intervalNanos;
    private boolean gaveUp;
    private long waitedNanos;
    private IdempotentCall.@Nullable WaitResult result;

    Waiter(String key, Duration timeout) {
      this.startNanos = System.nanoTime();
      this.deadline = startNanos + timeout.toNanos();
      this.intervalNanos = config.initialPollInterval().toNanos();
      this.subscription =
          store.completionNotifier().map(n -> n.subscribe(key, signal::release)).orElse(null);
    }

    /** Blocks until woken or the next poll is due; false once the wait timeout has passed. */
    boolean awaitNextPoll() {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        gaveUp = true;
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
        gaveUp = true;
        return false;
      }
      intervalNanos = Math.min(intervalNanos * 2, config.maxPollInterval().toNanos());
      return true;
    }

    /**
     * Ends the wait of a claim.
     *
     * @param last the last claim result: acquired or completed ends the wait with it; still in
     *     progress, or none, means the wait timed out or was aborted
     */
    void end(@Nullable ClaimResult last) {
      close();
      waitedNanos = System.nanoTime() - startNanos;
      result =
          gaveUp
              ? IdempotentCall.WaitResult.TIMED_OUT
              : last instanceof ClaimResult.Acquired
                  ? IdempotentCall.WaitResult.ACQUIRED
                  : last instanceof ClaimResult.Completed
                      ? IdempotentCall.WaitResult.COMPLETED
                      : IdempotentCall.WaitResult.ABORTED;
    }

    @Override
    public void close() {
      if (subscription != null) {
        subscription.close();
      }
    }
  }

  /** A near cache, and the same cache as calls claim through it: observed like the store. */
  private record NearCache(NearCachingStore cache, IdempotencyStore claims) {}

  /**
   * Where a call is in the algorithm. With whether the call threw, it decides how the call ended;
   * the algorithm moves a call from step to step and never states an outcome.
   */
  private enum Step {
    /**
     * Claiming the key, waiting for a running duplicate, or (after a fencing rejection) looking for
     * the outcome of the caller that took over: no body is running, so only Idem's own exceptions
     * end the call here.
     */
    CLAIM,
    /** Running the body and settling its failure: ends executed or failed. */
    RUN,
    /** Storing the body's result: ends executed, or with a store error (transactional claims). */
    STORE,
    /** Replaying a record the store returned. */
    REPLAY,
    /** Replaying a record the near cache held. */
    REPLAY_NEAR;

    IdempotentCall.Outcome outcome(@Nullable Throwable thrown) {
      return switch (this) {
        case CLAIM ->
            thrown instanceof IdempotencyKeyReuseException
                ? IdempotentCall.Outcome.KEY_REUSE
                : thrown instanceof IdempotencyInProgressException
                    ? IdempotentCall.Outcome.IN_PROGRESS_REJECTED
                    : IdempotentCall.Outcome.STORE_ERROR;
        case RUN ->
            thrown == null ? IdempotentCall.Outcome.EXECUTED : IdempotentCall.Outcome.FAILED;
        case STORE ->
            thrown == null ? IdempotentCall.Outcome.EXECUTED : IdempotentCall.Outcome.STORE_ERROR;
        case REPLAY -> IdempotentCall.Outcome.REPLAYED;
        case REPLAY_NEAR -> IdempotentCall.Outcome.REPLAYED_NEAR;
      };
    }
  }

  /**
   * One call on its way through the algorithm: what it is about, the step it has reached and what
   * happened on the way. Reported once to the listeners when it ends: by {@link #execute} when it
   * returns or throws, or, for a {@code CompletionStage} still running ({@link #endsLater}), when
   * that stage completes. Written by one thread at a time; the stage's completion orders the writes
   * of an asynchronous call.
   */
  private final class Call implements IdempotentCall {
    final OperationSpec op;
    final String key;
    final @Nullable String fingerprint;
    private final long startNanos;
    Step step = Step.CLAIM;
    boolean endsLater;
    boolean tookOver;
    boolean fencedOff;
    boolean failedOpen;
    @Nullable Waiter waiter;
    private IdempotentCall.@Nullable Outcome outcome;
    private long durationNanos;
    private @Nullable Throwable failure;

    Call(OperationSpec op, String key, @Nullable String fingerprint) {
      this.op = op;
      this.key = key;
      this.fingerprint = fingerprint;
      this.startNanos = listeners.length == 0 ? 0 : System.nanoTime();
    }

    @Nullable Object returned(@Nullable Object result) {
      if (!endsLater) {
        ended(null);
      }
      return result;
    }

    Throwable threw(Throwable thrown) {
      ended(thrown);
      return thrown;
    }

    void ended(@Nullable Throwable thrown) {
      if (listeners.length == 0) {
        return;
      }
      durationNanos = System.nanoTime() - startNanos;
      failure = thrown;
      outcome = step.outcome(thrown);
      for (IdempotencyListener listener : listeners) {
        try {
          listener.onCall(this);
        } catch (RuntimeException e) {
          LOG.log(
              Level.WARNING,
              "IdempotencyListener " + listener + " failed on a call of '" + op.name() + "'",
              e);
        }
      }
    }

    @Override
    public String operation() {
      return op.name();
    }

    @Override
    public IdempotentCall.Outcome outcome() {
      return Objects.requireNonNull(outcome, "the call has not ended");
    }

    @Override
    public long durationNanos() {
      return durationNanos;
    }

    @Override
    public @Nullable Throwable failure() {
      return failure;
    }

    @Override
    public IdempotentCall.@Nullable WaitResult waitResult() {
      return waiter == null ? null : waiter.result;
    }

    @Override
    public long waitNanos() {
      return waiter == null ? 0 : waiter.waitedNanos;
    }

    @Override
    public boolean tookOver() {
      return tookOver;
    }

    @Override
    public boolean fencedOff() {
      return fencedOff;
    }

    @Override
    public boolean failedOpen() {
      return failedOpen;
    }

    @Override
    public String toString() {
      return "IdempotentCall[" + op.name() + ", " + outcome + "]";
    }
  }
}
