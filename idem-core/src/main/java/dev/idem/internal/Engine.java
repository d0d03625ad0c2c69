package dev.idem.internal;

import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyKeyReuseException;
import dev.idem.IdempotencyReplayUnavailableException;
import dev.idem.IdempotencyStoreException;
import dev.idem.ThrowingSupplier;
import dev.idem.annotation.OnInProgress;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
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
 */
public final class Engine implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger("dev.idem");
  private static final int COMPLETE_ATTEMPTS = 3;

  private final IdempotencyConfig config;
  private final IdempotencyStore store;
  private final String owner;
  private volatile @Nullable ScheduledExecutorService renewals;

  /**
   * Creates the engine of a configuration.
   *
   * @param config the configuration
   */
  public Engine(IdempotencyConfig config) {
    this.config = config;
    this.store = config.store();
    this.owner = config.owner();
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
    ResolvedPolicy policy = op.policy();
    ClaimResult result;
    try {
      result = claim(key, fingerprint, policy);
    } catch (IdempotencyStoreException e) {
      if (!policy.failOpen()) {
        throw e;
      }
      LOG.log(
          Level.WARNING,
          "Idempotency store unavailable; running operation ''{0}'' unprotected (fail-open): {1}",
          op.name(),
          e.getMessage());
      return body.get();
    }
    Waiter waiter = null;
    try {
      while (true) {
        if (result instanceof ClaimResult.Acquired acquired) {
          return run(op, key, acquired, body);
        }
        if (result instanceof ClaimResult.Completed completed) {
          return replay(op, completed.record(), fingerprint);
        }
        IdempotencyRecord running = ((ClaimResult.InProgress) result).record();
        if (!fingerprintsMatch(fingerprint, running.fingerprint())) {
          throw IdempotencyKeyReuseException.of(op.name());
        }
        if (policy.onInProgress() == OnInProgress.REJECT) {
          throw IdempotencyInProgressException.rejected(op.name(), retryAfter(running));
        }
        if (waiter == null) {
          // subscribe, then claim again at once: a completion between the first claim and the
          // subscription is seen by that claim, and later ones wake the waiter
          waiter = new Waiter(key, policy.waitTimeout());
        } else if (!waiter.awaitNextPoll()) {
          throw IdempotencyInProgressException.waitTimedOut(op.name(), policy.waitTimeout());
        }
        result = claim(key, fingerprint, policy);
      }
    } finally {
      if (waiter != null) {
        waiter.close();
      }
    }
  }

  private ClaimResult claim(String key, @Nullable String fingerprint, ResolvedPolicy policy) {
    try {
      return store.claim(key, fingerprint, ownerOfThisCall(), policy.lease(), policy.ttl());
    } catch (IdempotencyStoreException | IdempotencyInProgressException e) {
      throw e;
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(store.name(), "claim", e);
    }
  }

  private String ownerOfThisCall() {
    return owner + "#" + Thread.currentThread().getId();
  }

  private @Nullable Object run(
      OperationSpec op,
      String key,
      ClaimResult.Acquired acquired,
      ThrowingSupplier<?, ? extends Throwable> body)
      throws Throwable {
    long token = acquired.token();
    if (acquired.takeover()) {
      LOG.log(
          Level.INFO,
          "Operation ''{0}'': took over a claim whose lease had ended (token {1})",
          op.name(),
          token);
    }
    Renewal renewal =
        acquired.transactional() ? Renewal.NONE : startRenewal(op, key, token, op.policy().lease());
    Object value;
    try {
      value = body.get();
    } catch (Throwable failure) {
      renewal.stop();
      settleFailure(op, key, token, failure);
      throw failure;
    }
    if (op.codec().shape() == ResultCodec.Shape.ASYNC && value != null) {
      return settleAsync(op, key, token, (CompletionStage<?>) value, renewal);
    }
    renewal.stop();
    completeWith(op, key, token, op.codec().encodeValue(value));
    return value;
  }

  private CompletableFuture<Object> settleAsync(
      OperationSpec op, String key, long token, CompletionStage<?> stage, Renewal renewal) {
    CompletableFuture<Object> settled = new CompletableFuture<>();
    stage.whenComplete(
        (value, error) -> {
          renewal.stop();
          try {
            if (error != null) {
              Throwable cause = unwrap(error);
              settleFailure(op, key, token, cause);
              settled.completeExceptionally(cause);
            } else {
              completeWith(op, key, token, op.codec().encodeValue(value));
              settled.complete(value);
            }
          } catch (Throwable unexpected) {
            settled.completeExceptionally(unexpected);
          }
        });
    return settled;
  }

  private void settleFailure(OperationSpec op, String key, long token, Throwable failure) {
    Class<? extends Throwable> replayed = op.policy().replayedTypeOf(failure);
    if (replayed != null) {
      completeWith(op, key, token, op.codec().encodeException(failure, replayed));
      return;
    }
    try {
      if (!store.release(key, token)) {
        LOG.log(
            Level.DEBUG,
            "Operation ''{0}'': nothing to release for token {1} (taken over or expired)",
            op.name(),
            token);
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
  }

  private void completeWith(OperationSpec op, String key, long token, Outcome outcome) {
    RuntimeException last = null;
    for (int attempt = 1; attempt <= COMPLETE_ATTEMPTS; attempt++) {
      try {
        if (!store.complete(key, token, outcome, op.policy().ttl())) {
          LOG.log(
              Level.WARNING,
              "Operation ''{0}'': result not stored because token {1} is stale: the lease ended"
                  + " and another caller took the key over (fencing). Consider a longer lease.",
              op.name(),
              token);
        }
        return;
      } catch (RuntimeException e) {
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
  }

  private @Nullable Object replay(
      OperationSpec op, IdempotencyRecord record, @Nullable String fingerprint) throws Throwable {
    if (!fingerprintsMatch(fingerprint, record.fingerprint())) {
      throw IdempotencyKeyReuseException.of(op.name());
    }
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

  private Renewal startRenewal(OperationSpec op, String key, long token, Duration lease) {
    long period = Math.max(1, lease.toNanos() / 3);
    Renewal renewal = new Renewal();
    renewal.task =
        renewalExecutor()
            .scheduleAtFixedRate(
                () -> renew(op, key, token, lease, renewal), period, period, TimeUnit.NANOSECONDS);
    return renewal;
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

  private void renew(OperationSpec op, String key, long token, Duration lease, Renewal renewal) {
    try {
      if (!store.renew(key, token, lease)) {
        LOG.log(
            Level.WARNING,
            "Operation ''{0}'': lease of token {1} lost (taken over or expired); the result of"
                + " this call will not be stored",
            op.name(),
            token);
        renewal.stop();
      }
    } catch (RuntimeException e) {
      LOG.log(
          Level.WARNING,
          "Operation ''{0}'': lease renewal failed, will retry: {1}",
          op.name(),
          e.toString());
    }
  }

  /** The background renewal of one claim's lease; {@link #NONE} for transactional claims. */
  private static final class Renewal {
    static final Renewal NONE = new Renewal();
    volatile @Nullable ScheduledFuture<?> task;

    void stop() {
      ScheduledFuture<?> current = task;
      if (current != null) {
        current.cancel(false);
      }
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
