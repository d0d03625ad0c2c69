package dev.idem.test.chaos;

import dev.idem.IdempotencyException;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyStoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A retry-safety harness for an application's own idempotent operation: it calls the operation the
 * way real clients and brokers do — responses lost and the request retried, concurrent duplicates,
 * client retries with backoff on 409 and 503 — while a {@link FaultInjectingStore} injects store
 * faults, and asserts on the application's own state that the effect happened once.
 *
 * <pre>{@code
 * FaultInjectingStore store = FaultInjectingStore.standard(memory, seed, Duration.ofMillis(500));
 * Idempotency.configure(IdempotencyConfig.builder().store(store).defaults(shortLease).build());
 *
 * RetrySafety.of(() -> payments.charge(cmd))      // the same request every time
 *     .effects(gateway::chargeCount)              // how often the effect happened so far
 *     .faults(store)                              // for the trace, and a fault-free last call
 *     .assertRetrySafe();
 * }</pre>
 *
 * <p>It passes when the effect counter moved by exactly one and every caller ended with the same
 * outcome as a last, fault-free call (the same value, or the same exception type and message) — or,
 * once its retries ran out, with one of the exceptions Idem documents as retryable ({@link
 * IdempotencyInProgressException}, {@link IdempotencyStoreException}). A failure names the seed and
 * lists the injected faults and every caller's outcome, so the run can be replayed.
 *
 * @param <T> the operation's result type
 */
public final class RetrySafety<T> {

  private final Callable<T> operation;
  private @Nullable IntSupplier effects;
  private @Nullable FaultInjectingStore faults;
  private int duplicates = 8;
  private int lostResponses = 2;
  private int maxAttempts = 30;
  private Duration backoff = Duration.ofMillis(20);
  private Duration maxBackoff = Duration.ofMillis(500);
  private Duration deadline = Duration.ofSeconds(60);
  private java.util.function.Predicate<Throwable> retryable = RetrySafety::isIdemRetryable;

  private RetrySafety(Callable<T> operation) {
    this.operation = Objects.requireNonNull(operation, "operation");
  }

  /**
   * Starts a harness for an operation.
   *
   * @param operation one call of the operation, with a fixed key and payload
   * @param <T> the result type
   * @return the harness
   */
  public static <T> RetrySafety<T> of(Callable<T> operation) {
    return new RetrySafety<>(operation);
  }

  /**
   * Sets how the effect is observed: a counter of what the operation did (rows written, gateway
   * calls, messages sent). Required.
   *
   * @param effects reads the counter
   * @return this harness
   */
  public RetrySafety<T> effects(IntSupplier effects) {
    this.effects = Objects.requireNonNull(effects, "effects");
    return this;
  }

  /**
   * Sets the fault-injecting store the operation's Idem instance uses: its trace goes into failure
   * messages, and faults are off for the last call that gives the reference outcome.
   *
   * @param faults the store
   * @return this harness
   */
  public RetrySafety<T> faults(FaultInjectingStore faults) {
    this.faults = Objects.requireNonNull(faults, "faults");
    return this;
  }

  /**
   * Sets how many callers send the request at once, after the lost responses.
   *
   * @param duplicates at least 1; 8 by default
   * @return this harness
   */
  public RetrySafety<T> duplicates(int duplicates) {
    this.duplicates = atLeast(duplicates, 1, "duplicates");
    return this;
  }

  /**
   * Sets how many calls are made first whose responses the client never sees, so that it retries.
   *
   * @param lostResponses at least 0; 2 by default
   * @return this harness
   */
  public RetrySafety<T> lostResponses(int lostResponses) {
    this.lostResponses = atLeast(lostResponses, 0, "lostResponses");
    return this;
  }

  /**
   * Sets how each caller retries a 409 or 503 ({@link IdempotencyInProgressException}, {@link
   * IdempotencyStoreException}): up to {@code maxAttempts} attempts in all, waiting {@code backoff}
   * doubled after each, up to half a second, with jitter.
   *
   * @param maxAttempts at least 1; 30 by default
   * @param backoff the first wait; 20 ms by default
   * @return this harness
   */
  public RetrySafety<T> clientRetries(int maxAttempts, Duration backoff) {
    this.maxAttempts = atLeast(maxAttempts, 1, "maxAttempts");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    return this;
  }

  /**
   * Sets which failures a caller retries, and which count as a documented, retryable outcome once
   * its retries run out: by default Idem's {@link IdempotencyInProgressException} (409) and {@link
   * IdempotencyStoreException} (503). An HTTP client test maps its 409 and 503 responses to an
   * exception of its own and names it here.
   *
   * @param retryable true for a failure the client retries
   * @return this harness
   */
  public RetrySafety<T> retryOn(java.util.function.Predicate<Throwable> retryable) {
    this.retryable = Objects.requireNonNull(retryable, "retryable");
    return this;
  }

  /**
   * Sets how long the whole run may take before it fails.
   *
   * @param deadline positive; one minute by default
   * @return this harness
   */
  public RetrySafety<T> deadline(Duration deadline) {
    this.deadline = Objects.requireNonNull(deadline, "deadline");
    return this;
  }

  /**
   * Runs the operation as configured and asserts that it is retry-safe.
   *
   * @return the outcome every caller agreed on: the operation's result
   * @throws AssertionError with the seed, the injected faults and every caller's outcome, if the
   *     effect did not happen exactly once or callers disagree
   */
  public @Nullable T assertRetrySafe() {
    IntSupplier counter = Objects.requireNonNull(effects, "effects(...) is required");
    long seed = faults == null ? 0 : faults.seed();
    SplittableRandom jitter = new SplittableRandom(seed);
    long until = System.nanoTime() + deadline.toNanos();
    int before = counter.getAsInt();
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < lostResponses; i++) {
      Outcome lost = callWithRetries("lost response " + (i + 1), jitter.split(), until);
      outcomes.add(lost);
    }
    outcomes.addAll(concurrentCalls(jitter, until));
    Outcome reference;
    if (faults != null) {
      faults.setEnabled(false);
    }
    try {
      reference = callWithRetries("fault-free reference call", jitter.split(), until);
    } finally {
      if (faults != null) {
        faults.setEnabled(true);
      }
    }
    int effected = counter.getAsInt() - before;
    List<String> problems = new ArrayList<>();
    if (effected != 1) {
      problems.add("the effect happened " + effected + " times, expected exactly once");
    }
    if (reference.failure != null && isRetryable(reference.failure)) {
      problems.add("even the fault-free reference call failed: " + reference);
    }
    for (Outcome outcome : outcomes) {
      if (!outcome.sameAs(reference) && !outcome.isExhaustedRetry()) {
        problems.add(outcome.caller + " got " + outcome + ", unlike the reference " + reference);
      }
    }
    if (!problems.isEmpty()) {
      StringBuilder message =
          new StringBuilder("The operation is not retry-safe under this schedule:");
      problems.forEach(p -> message.append("\n- ").append(p));
      message.append("\nCallers:");
      outcomes.forEach(o -> message.append("\n  ").append(o.caller).append(": ").append(o));
      message.append("\n  reference: ").append(reference);
      message
          .append("\nFaults: ")
          .append(faults == null ? "none (no FaultInjectingStore given)" : faults.describe());
      throw new AssertionError(message.toString());
    }
    @SuppressWarnings("unchecked")
    T value = (T) reference.value;
    return value;
  }

  private List<Outcome> concurrentCalls(SplittableRandom jitter, long until) {
    ExecutorService pool = Executors.newFixedThreadPool(duplicates);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Outcome>> calls = new ArrayList<>();
      for (int i = 0; i < duplicates; i++) {
        String caller = "duplicate " + (i + 1);
        SplittableRandom own = jitter.split();
        calls.add(
            pool.submit(
                () -> {
                  start.await();
                  return callWithRetries(caller, own, until);
                }));
      }
      start.countDown();
      List<Outcome> outcomes = new ArrayList<>();
      for (Future<Outcome> call : calls) {
        long left = Math.max(1, until - System.nanoTime());
        outcomes.add(call.get(left, TimeUnit.NANOSECONDS));
      }
      return outcomes;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError(
          "the duplicates did not finish within "
              + deadline.toMillis()
              + " ms"
              + (faults == null ? "" : "\nFaults: " + faults.describe()),
          e);
    } finally {
      pool.shutdownNow();
    }
  }

  private Outcome callWithRetries(String caller, SplittableRandom jitter, long until) {
    long wait = backoff.toNanos();
    Outcome outcome = null;
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      outcome = callOnce(caller, attempt);
      if (outcome.failure == null || !isRetryable(outcome.failure)) {
        return outcome;
      }
      if (System.nanoTime() + wait > until) {
        break;
      }
      long jittered = wait / 2 + jitter.nextLong(wait / 2 + 1);
      try {
        TimeUnit.NANOSECONDS.sleep(jittered);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      wait = Math.min(wait * 2, maxBackoff.toNanos());
    }
    return Objects.requireNonNull(outcome).exhausted();
  }

  private Outcome callOnce(String caller, int attempt) {
    try {
      return new Outcome(caller, attempt, operation.call(), null, false);
    } catch (Throwable failure) { // the operation's own failures are outcomes too
      return new Outcome(caller, attempt, null, failure, false);
    }
  }

  private boolean isRetryable(Throwable failure) {
    return retryable.test(failure);
  }

  private static boolean isIdemRetryable(Throwable failure) {
    return failure instanceof IdempotencyInProgressException
        || failure instanceof IdempotencyStoreException;
  }

  private static int atLeast(int value, int min, String what) {
    if (value < min) {
      throw new IllegalArgumentException(what + " must be at least " + min + ": " + value);
    }
    return value;
  }

  /** What one caller ended with. */
  private final class Outcome {
    final String caller;
    final int attempts;
    final @Nullable Object value;
    final @Nullable Throwable failure;
    final boolean exhausted;

    Outcome(
        String caller,
        int attempts,
        @Nullable Object value,
        @Nullable Throwable failure,
        boolean exhausted) {
      this.caller = caller;
      this.attempts = attempts;
      this.value = value;
      this.failure = failure;
      this.exhausted = exhausted;
    }

    Outcome exhausted() {
      return new Outcome(caller, attempts, value, failure, true);
    }

    boolean isExhaustedRetry() {
      return exhausted && failure != null && isRetryable(failure);
    }

    boolean sameAs(Outcome other) {
      if (failure == null || other.failure == null) {
        return failure == null && other.failure == null && Objects.equals(value, other.value);
      }
      return failure.getClass() == other.failure.getClass()
          && Objects.equals(failure.getMessage(), other.failure.getMessage());
    }

    @Override
    public String toString() {
      String what =
          failure == null
              ? "value " + value
              : (failure instanceof IdempotencyException ? "Idem " : "")
                  + failure.getClass().getSimpleName()
                  + ": "
                  + failure.getMessage();
      return what
          + " after "
          + attempts
          + (attempts == 1 ? " attempt" : " attempts")
          + (exhausted ? " (retries exhausted)" : "");
    }
  }
}
