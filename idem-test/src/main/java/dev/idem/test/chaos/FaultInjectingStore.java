package dev.idem.test.chaos;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A store decorator that injects faults on a seeded, reproducible schedule: it delays operations,
 * fails them, applies them but loses their reply, and freezes a claim's holder past its lease (a
 * zombie). Configure Idem with it in a test, in front of the store the application uses:
 *
 * <pre>{@code
 * FaultInjectingStore chaos =
 *     FaultInjectingStore.builder(InMemoryIdempotencyStore.create())
 *         .seed(42)
 *         .fail(StoreOperation.CLAIM, 0.2)               // fail 20% of claims: fail closed
 *         .loseReply(StoreOperation.COMPLETE, 0.2)       // applied, but the caller times out
 *         .delay(StoreOperation.CLAIM, 0.3, Duration.ofMillis(20))
 *         .build();
 * Idempotency idem = Idempotency.of(IdempotencyConfig.builder().store(chaos).build());
 * }</pre>
 *
 * <p><b>Reproducible.</b> Whether a rule hits a call depends only on the seed, the rule, the
 * operation, the key and how many calls of that operation the key had before — not on timing or
 * thread scheduling. Sequential calls on a key therefore meet the same faults under the same seed;
 * concurrent calls on one key may swap which of them meets a fault. Every injected fault is
 * recorded in {@link #trace()}.
 *
 * <p>{@link #standard(IdempotencyStore, long, Duration)} is the mix of faults Idem promises to
 * absorb without running a body twice; {@link Builder#zombie} and failing every completion go
 * beyond that promise (see the README's guarantees) and show whether the application's own effect
 * is safe anyway, as in the SQL store's transactional mode.
 */
public final class FaultInjectingStore extends ForwardingIdempotencyStore {

  private final long seed;
  private final List<Rule> rules;
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, Frozen> zombies = new ConcurrentHashMap<>();
  private final List<Fault> trace = new ArrayList<>();
  private final AtomicLong sequence = new AtomicLong();
  private volatile boolean enabled = true;

  private FaultInjectingStore(Builder builder) {
    super(builder.delegate);
    this.seed = builder.seed;
    this.rules = List.copyOf(builder.rules);
  }

  /**
   * Returns a builder of a store that injects faults in front of {@code delegate}.
   *
   * @param delegate the store the faults are injected in front of
   * @return the builder, with seed 0 and no rules
   */
  public static Builder builder(IdempotencyStore delegate) {
    return new Builder(delegate);
  }

  /**
   * Returns a store injecting the faults Idem promises to absorb without running a body twice:
   * operations delayed by up to a tenth of the lease, claims that fail (fail closed) or whose reply
   * is lost (the key is blocked for one lease, then taken over), a first completion attempt that
   * fails (retried) or whose reply is lost, releases that fail, and renewals delayed.
   *
   * @param delegate the store
   * @param seed the seed of the schedule
   * @param lease the lease the tested operation uses; keep it short (e.g. 500 ms) in chaos tests
   * @return the store
   */
  public static FaultInjectingStore standard(IdempotencyStore delegate, long seed, Duration lease) {
    Duration delay = lease.dividedBy(10);
    return builder(delegate)
        .seed(seed)
        .delay(StoreOperation.CLAIM, 0.2, delay)
        .delay(StoreOperation.COMPLETE, 0.2, delay)
        .delay(StoreOperation.RENEW, 0.2, delay)
        .fail(StoreOperation.CLAIM, 0.15)
        .loseReply(StoreOperation.CLAIM, 0.05)
        .failFirst(StoreOperation.COMPLETE, 0.2)
        .loseReply(StoreOperation.COMPLETE, 0.1)
        .fail(StoreOperation.RELEASE, 0.3)
        .build();
  }

  /**
   * Returns the seed of the schedule.
   *
   * @return the seed
   */
  public long seed() {
    return seed;
  }

  /**
   * Returns the faults injected so far, in order.
   *
   * @return a copy of the trace
   */
  public List<Fault> trace() {
    synchronized (trace) {
      return List.copyOf(trace);
    }
  }

  /**
   * Returns the seed and the trace as text, for failure messages: enough to replay the run.
   *
   * @return the description
   */
  public String describe() {
    List<Fault> faults = trace();
    StringBuilder text =
        new StringBuilder("seed ")
            .append(seed)
            .append(", ")
            .append(faults.size())
            .append(" faults");
    int shown = Math.min(faults.size(), 200);
    for (int i = 0; i < shown; i++) {
      text.append("\n  ").append(faults.get(i));
    }
    if (shown < faults.size()) {
      text.append("\n  ... ").append(faults.size() - shown).append(" more");
    }
    return text.toString();
  }

  /**
   * Turns fault injection on or off (a test's verification step usually runs without faults).
   * Zombies already frozen stay frozen until their pause ends.
   *
   * @param enabled whether faults are injected
   */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    int n = nextCall(StoreOperation.CLAIM, key);
    ClaimResult result =
        inject(
            StoreOperation.CLAIM, key, n, () -> super.claim(key, fingerprint, owner, lease, ttl));
    if (result instanceof ClaimResult.Acquired acquired && enabled) {
      for (Rule rule : rules) {
        if (rule.kind == Fault.Kind.ZOMBIE && hits(rule, key, n)) {
          zombies.put(frozenKey(key, acquired.token()), new Frozen(rule.duration));
          record(StoreOperation.CLAIM, key, n, rule);
          break;
        }
      }
    }
    return result;
  }

  @Override
  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
    thaw(key, token);
    return inject(StoreOperation.COMPLETE, key, () -> super.complete(key, token, outcome, ttl));
  }

  @Override
  public boolean release(String key, long token) {
    thaw(key, token);
    return inject(StoreOperation.RELEASE, key, () -> super.release(key, token));
  }

  @Override
  public boolean renew(String key, long token, Duration lease) {
    if (zombies.containsKey(frozenKey(key, token))) {
      return true; // a frozen JVM's renewals never reach the store
    }
    return inject(StoreOperation.RENEW, key, () -> super.renew(key, token, lease));
  }

  @Override
  public Optional<IdempotencyRecord> find(String key) {
    return inject(StoreOperation.FIND, key, () -> super.find(key));
  }

  /** A zombie's completion or release arrives only after its pause. */
  private void thaw(String key, long token) {
    Frozen frozen = zombies.get(frozenKey(key, token));
    if (frozen != null) {
      sleep(frozen.pause);
      zombies.remove(frozenKey(key, token));
    }
  }

  private <T> T inject(StoreOperation operation, String key, Supplier<T> call) {
    return enabled ? inject(operation, key, nextCall(operation, key), call) : call.get();
  }

  private <T> T inject(StoreOperation operation, String key, int n, Supplier<T> call) {
    if (!enabled) {
      return call.get();
    }
    boolean loseReply = false;
    for (Rule rule : rules) {
      if (rule.operation != operation || rule.kind == Fault.Kind.ZOMBIE || !hits(rule, key, n)) {
        continue;
      }
      record(operation, key, n, rule);
      switch (rule.kind) {
        case DELAY:
          sleep(rule.duration);
          break;
        case FAIL:
          throw IdempotencyStoreException.of(
              "chaos",
              operation.name().toLowerCase(java.util.Locale.ROOT),
              new java.net.ConnectException("injected fault: connection refused"));
        case LOSE_REPLY:
          loseReply = true;
          break;
        default:
          break;
      }
    }
    T result = call.get();
    if (loseReply) {
      throw IdempotencyStoreException.of(
          "chaos",
          operation.name().toLowerCase(java.util.Locale.ROOT),
          new SocketTimeoutException(
              "injected fault: the reply was lost after the store applied it"));
    }
    return result;
  }

  private boolean hits(Rule rule, String key, int n) {
    if (rule.firstCallOnly && n != 0) {
      return false;
    }
    long h = mix(seed ^ 0x9E3779B97F4A7C15L * (rule.index + 1));
    h = mix(h ^ rule.operation.ordinal());
    h = mix(h ^ fnv(key));
    h = mix(h ^ n);
    double uniform = (h >>> 11) * 0x1.0p-53;
    return uniform < rule.probability;
  }

  private int nextCall(StoreOperation operation, String key) {
    return calls.computeIfAbsent(operation + " " + key, k -> new AtomicInteger()).getAndIncrement();
  }

  private void record(StoreOperation operation, String key, int n, Rule rule) {
    synchronized (trace) {
      trace.add(new Fault(sequence.incrementAndGet(), operation, key, n, rule.kind, rule.duration));
    }
  }

  private static String frozenKey(String key, long token) {
    return token + " " + key;
  }

  private static long fnv(String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ b) * 0x100000001b3L;
    }
    return h;
  }

  /** SplitMix64's finaliser: spreads every input bit over the output. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private record Frozen(Duration pause) {}

  private static final class Rule {
    final int index;
    final StoreOperation operation;
    final Fault.Kind kind;
    final double probability;
    final Duration duration;
    final boolean firstCallOnly;

    Rule(
        int index,
        StoreOperation operation,
        Fault.Kind kind,
        double probability,
        Duration duration,
        boolean firstCallOnly) {
      this.index = index;
      this.operation = operation;
      this.kind = kind;
      this.probability = probability;
      this.duration = duration;
      this.firstCallOnly = firstCallOnly;
    }
  }

  /** Builds a {@link FaultInjectingStore}: a seed and a list of fault rules. */
  public static final class Builder {
    private final IdempotencyStore delegate;
    private final List<Rule> rules = new ArrayList<>();
    private long seed;

    private Builder(IdempotencyStore delegate) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /**
     * Sets the seed of the schedule; the same seed injects the same faults into the same calls.
     *
     * @param seed the seed
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Delays a share of an operation's calls.
     *
     * @param operation the operation
     * @param probability the share of calls hit, from 0 to 1
     * @param delay how late they run
     * @return this builder
     */
    public Builder delay(StoreOperation operation, double probability, Duration delay) {
      return add(operation, Fault.Kind.DELAY, probability, positive(delay), false);
    }

    /**
     * Fails a share of an operation's calls with {@code IdempotencyStoreException}, unapplied.
     *
     * @param operation the operation
     * @param probability the share of calls hit, from 0 to 1
     * @return this builder
     */
    public Builder fail(StoreOperation operation, double probability) {
      return add(operation, Fault.Kind.FAIL, probability, Duration.ZERO, false);
    }

    /**
     * Fails a share of keys' first call of an operation only (the engine retries a failed
     * completion, so this fault is absorbed; failing every attempt is not).
     *
     * @param operation the operation
     * @param probability the share of keys hit, from 0 to 1
     * @return this builder
     */
    public Builder failFirst(StoreOperation operation, double probability) {
      return add(operation, Fault.Kind.FAIL, probability, Duration.ZERO, true);
    }

    /**
     * Applies a share of an operation's calls but loses their reply: the caller gets {@code
     * IdempotencyStoreException} although the store changed.
     *
     * @param operation the operation
     * @param probability the share of calls hit, from 0 to 1
     * @return this builder
     */
    public Builder loseReply(StoreOperation operation, double probability) {
      return add(operation, Fault.Kind.LOSE_REPLY, probability, Duration.ZERO, false);
    }

    /**
     * Freezes a share of the callers that acquire a claim, as a paused JVM: their renewals never
     * reach the store and their completion or release arrives {@code pause} late. With a pause
     * longer than the lease, another caller takes the key over and runs the body too — beyond what
     * Idem promises for lease-based stores, so use it to check that the application's own effect is
     * safe anyway.
     *
     * @param probability the share of acquired claims frozen, from 0 to 1
     * @param pause how long the holder stays frozen before it completes
     * @return this builder
     */
    public Builder zombie(double probability, Duration pause) {
      return add(StoreOperation.CLAIM, Fault.Kind.ZOMBIE, probability, positive(pause), false);
    }

    /**
     * Builds the store.
     *
     * @return the store
     */
    public FaultInjectingStore build() {
      return new FaultInjectingStore(this);
    }

    private Builder add(
        StoreOperation operation,
        Fault.Kind kind,
        double probability,
        Duration duration,
        boolean firstCallOnly) {
      Objects.requireNonNull(operation, "operation");
      if (!(probability >= 0 && probability <= 1)) {
        throw new IllegalArgumentException("probability must be between 0 and 1: " + probability);
      }
      rules.add(new Rule(rules.size(), operation, kind, probability, duration, firstCallOnly));
      return this;
    }

    private static Duration positive(Duration duration) {
      if (Objects.requireNonNull(duration, "duration").isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("duration must be positive: " + duration);
      }
      return duration;
    }
  }
}
