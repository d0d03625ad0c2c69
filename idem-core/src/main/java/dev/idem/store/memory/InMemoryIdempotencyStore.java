package dev.idem.store.memory;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.ExpiredRecordPurger;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import dev.idem.spi.RecordState;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * An {@link IdempotencyStore} that keeps records in the JVM's heap, in a Caffeine cache: the
 * reference implementation of the SPI, and the embedded default for tests, samples and single-JVM
 * applications. Records are lost when the JVM stops and are not shared between JVMs.
 *
 * <pre>{@code
 * IdempotencyStore store = InMemoryIdempotencyStore.create();
 * IdempotencyStore bounded =
 *     InMemoryIdempotencyStore.builder().clock(clock).maximumSize(100_000).build();
 * }</pre>
 *
 * <p><b>Atomicity.</b> Every mutation runs inside Caffeine's {@code asMap().compute(...)} for its
 * key, so operations are linearizable per key. A claim that finds a completed record or a live
 * lease answers from a lock-free read, which is linearizable too because such a record can only
 * change through a later operation.
 *
 * <p><b>Time.</b> Leases, time-to-live and expiry are computed with the {@link Clock} given to the
 * {@linkplain Builder#clock builder} (the system UTC clock by default). Caffeine's {@link Ticker}
 * reads the same clock, so advancing an injected clock expires records without any sleeping. A
 * record is live while the clock is before its {@code expiresAt}, and its lease is live while the
 * clock is before its {@code leaseUntil}. An expired record is treated as absent by every operation
 * even if Caffeine has not removed it yet.
 *
 * <p><b>Expiry.</b> An {@code IN_PROGRESS} record expires at the later of {@code claim + ttl} and
 * its lease end; a renewal moves the expiry to the new lease end when that is later, and never
 * earlier. A {@code COMPLETED} record expires {@code ttl} after completion and never changes
 * before. Leases and time-to-live longer than 100 years are shortened to 100 years, the range
 * Caffeine can expire in. Caffeine removes expired records by itself, so the store has no
 * {@linkplain #purger() purger}.
 *
 * <p><b>Tokens.</b> Tokens come from one counter shared by all keys of the store: they are
 * positive, strictly increasing per key, and never reused after a release, a takeover or an expiry.
 *
 * <p><b>Notification.</b> The store has a {@linkplain #completionNotifier() completion notifier}:
 * listeners of a key run on the thread that completed or released it, right after the change.
 *
 * <p><b>Size.</b> The store is unbounded unless a {@linkplain Builder#maximumSize maximum size} is
 * set. The bound counts completed records only: a claim in progress is never evicted (that would
 * let a duplicate run while the first call still runs). A full store evicts completed records
 * before they expire, and an evicted record no longer protects its key from a second execution:
 * choose a bound well above the number of records the TTLs keep alive.
 *
 * <p><b>Threads.</b> The store is thread-safe and creates no threads: Caffeine's maintenance runs
 * on the calling threads, so {@link #close()} has nothing to release.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

  private static final String NAME = "memory";
  private static final long UNBOUNDED = -1;

  /** The longest lease or time-to-live; Caffeine cannot expire entries later than ~146 years. */
  private static final Duration MAXIMUM_DURATION = Duration.ofDays(365L * 100);

  private static final long NANOS_PER_MILLI = 1_000_000L;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final long MAX_NANO_SECONDS = Long.MAX_VALUE / NANOS_PER_SECOND;
  private static final long MIN_NANO_SECONDS = Long.MIN_VALUE / NANOS_PER_SECOND;
  private static final System.Logger LOGGER =
      System.getLogger(InMemoryIdempotencyStore.class.getName());

  private final Clock clock;
  private final Cache<String, ClaimResult> records;
  private final AtomicLong lastToken = new AtomicLong();
  private final Notifier notifier = new Notifier();
  private final Optional<CompletionNotifier> completionNotifier = Optional.of(notifier);

  private InMemoryIdempotencyStore(Builder builder) {
    this.clock = builder.clock;
    Clock tickerClock = builder.clock;
    // Milliseconds rather than Instant nanos: Clock.millis() does not allocate. The ticker reads
    // at most the clock's time, so Caffeine never removes a record before it expires; the exact
    // expiry is decided by each operation from the record's expiresAt.
    Ticker ticker = () -> tickerClock.millis() * NANOS_PER_MILLI;
    Caffeine<Object, Object> caffeine =
        Caffeine.newBuilder().ticker(ticker).executor(Runnable::run);
    if (builder.maximumSize != UNBOUNDED) {
      // only completed records count and can be evicted: evicting a claim in progress would let a
      // duplicate run the body while the first call still runs
      caffeine
          .maximumWeight(builder.maximumSize)
          .weigher(
              (String key, ClaimResult value) -> value instanceof ClaimResult.InProgress ? 0 : 1);
    }
    // values are the ClaimResult a claim of the key answers with: InProgress or Completed
    this.records = caffeine.expireAfter(new RecordExpiry()).build();
  }

  /**
   * Returns an unbounded store on the system UTC clock.
   *
   * @return a new store
   */
  public static InMemoryIdempotencyStore create() {
    return builder().build();
  }

  /**
   * Returns a builder for a store with a chosen clock or maximum size.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns {@code memory}.
   *
   * @return the store name
   */
  @Override
  public String name() {
    return NAME;
  }

  /**
   * Atomically claims a key for execution, as specified by {@link IdempotencyStore#claim}. A
   * takeover keeps the record's {@code createdAt}; its expiry restarts from the takeover.
   *
   * @throws NullPointerException if {@code key}, {@code owner}, {@code lease} or {@code ttl} is
   *     null
   * @throws IllegalArgumentException if {@code key} is blank or a duration is not positive
   */
  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    requireKey(key);
    Objects.requireNonNull(owner, "owner");
    requirePositive(lease, "lease");
    requirePositive(ttl, "ttl");
    try {
      ClaimResult current = records.getIfPresent(key);
      if (current != null && isUnchangedByClaim(recordOf(current), clock.instant())) {
        return current;
      }
      Claim claim = new Claim(fingerprint, owner, lease, ttl);
      records.asMap().compute(key, claim);
      return Objects.requireNonNull(claim.result, "claim result");
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(NAME, "claim", e);
    }
  }

  /**
   * Completes an {@code IN_PROGRESS} record held with {@code token}, as specified by {@link
   * IdempotencyStore#complete}, then notifies the key's listeners.
   *
   * @throws NullPointerException if {@code key}, {@code outcome} or {@code ttl} is null
   * @throws IllegalArgumentException if {@code key} is blank or {@code ttl} is not positive
   */
  @Override
  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
    requireKey(key);
    Objects.requireNonNull(outcome, "outcome");
    requirePositive(ttl, "ttl");
    return change("complete", key, new Complete(token, outcome, ttl));
  }

  /**
   * Deletes an {@code IN_PROGRESS} record held with {@code token}, as specified by {@link
   * IdempotencyStore#release}, then notifies the key's listeners.
   *
   * @throws NullPointerException if {@code key} is null
   * @throws IllegalArgumentException if {@code key} is blank
   */
  @Override
  public boolean release(String key, long token) {
    requireKey(key);
    return change("release", key, new Release(token));
  }

  /**
   * Sets the lease of an {@code IN_PROGRESS} record held with {@code token} to end {@code lease}
   * from now, as specified by {@link IdempotencyStore#renew}. The record's expiry moves to the new
   * lease end if that is later, and never earlier.
   *
   * @throws NullPointerException if {@code key} or {@code lease} is null
   * @throws IllegalArgumentException if {@code key} is blank or {@code lease} is not positive
   */
  @Override
  public boolean renew(String key, long token, Duration lease) {
    requireKey(key);
    requirePositive(lease, "lease");
    return change("renew", key, new Renew(token, lease));
  }

  /**
   * Applies a token-checked change under the key's lock, then notifies the key's listeners if it
   * ended the claim.
   */
  private boolean change(String operation, String key, TokenChange change) {
    try {
      records.asMap().compute(key, change);
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(NAME, operation, e);
    }
    if (change.applied && change.endsClaim()) {
      notifier.fire(key);
    }
    return change.applied;
  }

  /**
   * Reads the live record of a key, as specified by {@link IdempotencyStore#find}.
   *
   * @throws NullPointerException if {@code key} is null
   * @throws IllegalArgumentException if {@code key} is blank
   */
  @Override
  public Optional<IdempotencyRecord> find(String key) {
    requireKey(key);
    try {
      ClaimResult current = records.getIfPresent(key);
      if (current == null) {
        return Optional.empty();
      }
      IdempotencyRecord record = recordOf(current);
      return isLive(record, clock.instant()) ? Optional.of(record) : Optional.empty();
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(NAME, "find", e);
    }
  }

  /**
   * Returns the notifier that wakes listeners of a key right after it is completed or released, on
   * the completing or releasing thread. Always present; the same instance on every call.
   *
   * @return the notifier
   */
  @Override
  public Optional<CompletionNotifier> completionNotifier() {
    return completionNotifier;
  }

  /**
   * Returns empty: Caffeine removes expired records by itself.
   *
   * @return empty
   */
  @Override
  public Optional<ExpiredRecordPurger> purger() {
    return Optional.empty();
  }

  /** Returns the number of records Caffeine holds after running its pending maintenance. */
  long physicalSize() {
    records.cleanUp();
    return records.estimatedSize();
  }

  /** Returns the number of keys that have at least one open subscription. */
  int subscribedKeyCount() {
    return notifier.listeners.size();
  }

  private long nextToken() {
    return lastToken.incrementAndGet();
  }

  /** Whether a claim at {@code now} leaves the record as it is: completed, or a live lease. */
  private static boolean isUnchangedByClaim(IdempotencyRecord record, Instant now) {
    return isLive(record, now)
        && (record.isCompleted() || now.isBefore(Objects.requireNonNull(record.leaseUntil())));
  }

  private static boolean isLive(IdempotencyRecord record, Instant now) {
    return now.isBefore(record.expiresAt());
  }

  private static IdempotencyRecord recordOf(ClaimResult view) {
    if (view instanceof ClaimResult.InProgress inProgress) {
      return inProgress.record();
    }
    return ((ClaimResult.Completed) view).record();
  }

  /**
   * Returns {@code instant + duration}, with the duration shortened to {@link #MAXIMUM_DURATION},
   * or {@link Instant#MAX} when the sum is beyond it.
   */
  private static Instant plus(Instant instant, Duration duration) {
    try {
      return instant.plus(duration.compareTo(MAXIMUM_DURATION) > 0 ? MAXIMUM_DURATION : duration);
    } catch (DateTimeException | ArithmeticException e) {
      return Instant.MAX;
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static void requireKey(String key) {
    Objects.requireNonNull(key, "key");
    if (key.isBlank()) {
      throw new IllegalArgumentException("key must not be blank");
    }
  }

  private static void requirePositive(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + duration);
    }
  }

  /** Converts an instant to nanoseconds since the epoch, saturating at the range of a long. */
  private static long epochNanos(Instant instant) {
    long seconds = instant.getEpochSecond();
    if (seconds >= MAX_NANO_SECONDS) {
      return Long.MAX_VALUE;
    }
    if (seconds < MIN_NANO_SECONDS) {
      return Long.MIN_VALUE;
    }
    return seconds * NANOS_PER_SECOND + instant.getNano();
  }

  /** Tells Caffeine to drop each record at its own {@code expiresAt}, on the ticker's time line. */
  private static final class RecordExpiry implements Expiry<String, ClaimResult> {

    @Override
    public long expireAfterCreate(String key, ClaimResult value, long currentTime) {
      return remaining(value, currentTime);
    }

    @Override
    public long expireAfterUpdate(
        String key, ClaimResult value, long currentTime, long currentDuration) {
      return remaining(value, currentTime);
    }

    @Override
    public long expireAfterRead(
        String key, ClaimResult value, long currentTime, long currentDuration) {
      return currentDuration;
    }

    private static long remaining(ClaimResult value, long currentTime) {
      long expiresAt = epochNanos(recordOf(value).expiresAt());
      long remaining = expiresAt - currentTime;
      if (((expiresAt ^ currentTime) & (expiresAt ^ remaining)) < 0) {
        // overflowed: the two times are more than a long apart
        return expiresAt < currentTime ? 0 : Long.MAX_VALUE;
      }
      return Math.max(0, remaining);
    }
  }

  /**
   * The body of one claim, run by {@code compute} under the key's lock; one object per call carries
   * both the arguments and the answer.
   */
  private final class Claim
      implements BiFunction<String, @Nullable ClaimResult, @Nullable ClaimResult> {
    private final @Nullable String fingerprint;
    private final String owner;
    private final Duration lease;
    private final Duration ttl;
    @Nullable ClaimResult result;

    Claim(@Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
      this.fingerprint = fingerprint;
      this.owner = owner;
      this.lease = lease;
      this.ttl = ttl;
    }

    @Override
    public ClaimResult apply(String key, @Nullable ClaimResult current) {
      Instant now = clock.instant();
      Instant createdAt = now;
      boolean takeover = false;
      if (current != null) {
        IdempotencyRecord record = recordOf(current);
        if (isUnchangedByClaim(record, now)) {
          result = current;
          return current;
        }
        if (isLive(record, now)) {
          // an IN_PROGRESS record whose lease has ended
          takeover = true;
          createdAt = record.createdAt();
        }
      }
      long token = nextToken();
      Instant leaseUntil = plus(now, lease);
      IdempotencyRecord claimed =
          new IdempotencyRecord(
              key,
              RecordState.IN_PROGRESS,
              token,
              owner,
              fingerprint,
              leaseUntil,
              null,
              createdAt,
              later(plus(now, ttl), leaseUntil));
      result = ClaimResult.acquired(token, takeover);
      return ClaimResult.inProgress(claimed);
    }
  }

  /**
   * A change of the live {@code IN_PROGRESS} record held with one token, run by {@code compute}
   * under the key's lock. An expired record is removed; a completed record, or one held with
   * another token, is left as it is; otherwise the record becomes what {@link #changed} returns and
   * the change is {@link #applied}.
   */
  private abstract class TokenChange
      implements BiFunction<String, @Nullable ClaimResult, @Nullable ClaimResult> {
    final long token;
    boolean applied;

    TokenChange(long token) {
      this.token = token;
    }

    @Override
    public final @Nullable ClaimResult apply(String key, @Nullable ClaimResult current) {
      if (current == null) {
        return null;
      }
      Instant now = clock.instant();
      IdempotencyRecord record = recordOf(current);
      if (!isLive(record, now)) {
        return null;
      }
      if (record.isCompleted() || record.token() != token) {
        return current;
      }
      applied = true;
      return changed(key, record, now);
    }

    /** Returns what the held record becomes, or null to remove it. */
    abstract @Nullable ClaimResult changed(String key, IdempotencyRecord record, Instant now);

    /** Whether the change ends the claim, so the key's waiters are woken. */
    boolean endsClaim() {
      return true;
    }
  }

  /** Completes the held record with an outcome. */
  private final class Complete extends TokenChange {
    private final Outcome outcome;
    private final Duration ttl;

    Complete(long token, Outcome outcome, Duration ttl) {
      super(token);
      this.outcome = outcome;
      this.ttl = ttl;
    }

    @Override
    ClaimResult changed(String key, IdempotencyRecord record, Instant now) {
      return ClaimResult.completed(
          new IdempotencyRecord(
              key,
              RecordState.COMPLETED,
              token,
              record.owner(),
              record.fingerprint(),
              null,
              outcome,
              record.createdAt(),
              plus(now, ttl)));
    }
  }

  /**
   * Removes the record of a key whatever its state or token, as specified by {@link
   * IdempotencyStore#delete}, then notifies the key's listeners. Tokens come from one counter, so
   * the next claim's token is greater whatever was removed.
   *
   * @throws NullPointerException if {@code key} is null
   * @throws IllegalArgumentException if {@code key} is blank
   */
  @Override
  public boolean delete(String key) {
    requireKey(key);
    ClaimResult removed;
    try {
      removed = records.asMap().remove(key);
    } catch (RuntimeException e) {
      throw IdempotencyStoreException.of(NAME, "delete", e);
    }
    if (removed != null) {
      notifier.fire(key);
    }
    return removed != null;
  }

  /** Removes the held record. */
  private final class Release extends TokenChange {
    Release(long token) {
      super(token);
    }

    @Override
    @Nullable ClaimResult changed(String key, IdempotencyRecord record, Instant now) {
      return null;
    }
  }

  /** Moves the held record's lease end to {@code lease} from now. */
  private final class Renew extends TokenChange {
    private final Duration lease;

    Renew(long token, Duration lease) {
      super(token);
      this.lease = lease;
    }

    @Override
    ClaimResult changed(String key, IdempotencyRecord record, Instant now) {
      Instant leaseUntil = plus(now, lease);
      return ClaimResult.inProgress(
          new IdempotencyRecord(
              key,
              RecordState.IN_PROGRESS,
              token,
              record.owner(),
              record.fingerprint(),
              leaseUntil,
              null,
              record.createdAt(),
              later(record.expiresAt(), leaseUntil)));
    }

    @Override
    boolean endsClaim() {
      return false;
    }
  }

  /**
   * Listeners per key. Each key maps to an immutable array of subscriptions, replaced atomically on
   * subscribe and close; a key's entry is removed with its last subscription, so closed
   * subscriptions leave nothing behind.
   */
  private static final class Notifier implements CompletionNotifier {
    final ConcurrentHashMap<String, Subscriber[]> listeners = new ConcurrentHashMap<>();

    @Override
    public Subscription subscribe(String key, Runnable listener) {
      requireKey(key);
      Objects.requireNonNull(listener, "listener");
      Subscriber subscriber = new Subscriber(key, listener);
      listeners.merge(key, new Subscriber[] {subscriber}, Notifier::concat);
      return subscriber;
    }

    void fire(String key) {
      Subscriber[] subscribers = listeners.get(key);
      if (subscribers == null) {
        return;
      }
      for (Subscriber subscriber : subscribers) {
        subscriber.fire();
      }
    }

    private static Subscriber[] concat(Subscriber[] present, Subscriber[] added) {
      Subscriber[] all = Arrays.copyOf(present, present.length + added.length);
      System.arraycopy(added, 0, all, present.length, added.length);
      return all;
    }

    /** Returns the array without {@code removed}, or null (no entry) when nothing is left. */
    private static Subscriber @Nullable [] without(Subscriber[] present, Subscriber removed) {
      int index = -1;
      for (int i = 0; i < present.length; i++) {
        if (present[i] == removed) {
          index = i;
          break;
        }
      }
      if (index < 0) {
        return present;
      }
      if (present.length == 1) {
        return null;
      }
      Subscriber[] rest = Arrays.copyOf(present, present.length - 1);
      System.arraycopy(present, index + 1, rest, index, present.length - index - 1);
      return rest;
    }

    private final class Subscriber implements Subscription {
      private final String key;
      private final Runnable listener;
      private volatile boolean closed;

      Subscriber(String key, Runnable listener) {
        this.key = key;
        this.listener = listener;
      }

      void fire() {
        if (closed) {
          return;
        }
        try {
          listener.run();
        } catch (RuntimeException e) {
          // a faulty listener must neither fail the completion nor starve the other listeners
          LOGGER.log(System.Logger.Level.WARNING, "Idempotency completion listener failed", e);
        }
      }

      @Override
      public void close() {
        closed = true;
        listeners.computeIfPresent(key, (k, present) -> without(present, this));
      }
    }
  }

  /**
   * Builds an {@link InMemoryIdempotencyStore}. Not thread-safe; each {@link #build()} returns a
   * new, independent store.
   */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private long maximumSize = UNBOUNDED;

    private Builder() {}

    /**
     * Sets the clock that leases, time-to-live and expiry are computed with; the system UTC clock
     * by default. Tests inject a clock they can advance, so expiry never needs sleeping.
     *
     * @param clock the clock
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Bounds the number of completed records the store holds; unbounded by default. When full, the
     * store evicts completed records before they expire, and their keys then run again. Claims in
     * progress are not counted and never evicted.
     *
     * @param maximumSize the maximum number of records; positive
     * @return this builder
     * @throws IllegalArgumentException if {@code maximumSize} is not positive
     */
    public Builder maximumSize(long maximumSize) {
      if (maximumSize <= 0) {
        throw new IllegalArgumentException("maximumSize must be positive: " + maximumSize);
      }
      this.maximumSize = maximumSize;
      return this;
    }

    /**
     * Returns a new store with this builder's settings.
     *
     * @return the store
     */
    public InMemoryIdempotencyStore build() {
      return new InMemoryIdempotencyStore(this);
    }
  }
}
