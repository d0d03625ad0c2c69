package dev.idem.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.idem.NearCacheSettings;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A store decorator that keeps the {@linkplain dev.idem.spi.RecordState#COMPLETED completed}
 * records it has seen in a bounded in-JVM cache (Caffeine), so that replays of a key answer without
 * a round trip to the store behind it.
 *
 * <pre>{@code
 * IdempotencyStore store = NearCachingStore.wrap(
 *     redisStore, NearCacheSettings.of(50_000, Duration.ofMinutes(5)), Clock.systemUTC());
 * }</pre>
 *
 * <p>Applications usually do not wrap a store by hand: {@link
 * dev.idem.IdempotencyConfig.Builder#nearCache(NearCacheSettings)} and {@link
 * dev.idem.IdempotencyPolicy.Builder#nearCache(boolean)} put one in front of the configured store
 * for the operations that opt in, and count its replays separately ({@code outcome=replayed_near}).
 *
 * <p><b>What is cached.</b> Only completed records, taken from the answers of {@link #claim} and
 * {@link #find}: an {@code IN_PROGRESS} record is never cached, so a key whose claim is in progress
 * is always asked of the store. The store SPI guarantees that a completed record never changes
 * until it expires, which is what makes serving it from memory safe. Callers still compare the
 * payload fingerprint of a replay against the cached record's.
 *
 * <p><b>Expiry.</b> A record is served only while the clock is before the earlier of its own {@code
 * expiresAt} and {@linkplain NearCacheSettings#ttl() the cache's time to live} after it was cached,
 * checked on every read at millisecond resolution, rounding towards expiry. The store computes
 * {@code expiresAt} with its own clock: if this JVM's clock lags the store's, a record can be
 * served for up to that lag after the store dropped it. The cache's time to live bounds how long a
 * record deleted from the store by hand, or evicted by a bounded store, is still replayed here.
 *
 * <p><b>Everything else.</b> {@link #complete}, {@link #release}, {@link #renew}, the completion
 * notifier and the purger go straight to the delegate; {@link #name()} is the delegate's, so
 * metrics and errors name the real store.
 *
 * <p><b>Threads.</b> Thread-safe. Creates no threads: the cache's maintenance runs on the calling
 * threads.
 */
public final class NearCachingStore extends ForwardingIdempotencyStore {

  private static final long NANOS_PER_MILLI = 1_000_000L;

  private final NearCacheSettings settings;
  private final Clock clock;
  private final long ttlMillis;
  private final Cache<String, Cached> cache;

  private NearCachingStore(IdempotencyStore delegate, NearCacheSettings settings, Clock clock) {
    super(delegate);
    this.settings = settings;
    this.clock = clock;
    this.ttlMillis = saturatedMillis(settings.ttl());
    Ticker ticker = () -> clock.millis() * NANOS_PER_MILLI;
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(settings.maximumSize())
            .ticker(ticker)
            .executor(Runnable::run)
            .expireAfter(new UntilDeadline())
            .build();
  }

  /**
   * Returns a near-caching decorator of a store.
   *
   * @param delegate the store records live in
   * @param settings the cache's size and time to live
   * @param clock the time source expiry is checked with; the one the configuration uses
   * @return the decorator
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code delegate} is itself a near-caching store
   */
  public static NearCachingStore wrap(
      IdempotencyStore delegate, NearCacheSettings settings, Clock clock) {
    Objects.requireNonNull(delegate, "delegate");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(clock, "clock");
    if (delegate instanceof NearCachingStore) {
      throw new IllegalArgumentException("the store is already near-cached");
    }
    return new NearCachingStore(delegate, settings, clock);
  }

  /**
   * Returns a near-caching decorator of a store.
   *
   * @param delegate the store records live in
   * @param maximumSize the most records the cache holds; positive
   * @param ttl the longest a record stays cached; positive
   * @param clock the time source expiry is checked with; the one the configuration uses
   * @return the decorator
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if a bound is not positive or {@code delegate} is itself a
   *     near-caching store
   */
  public static NearCachingStore wrap(
      IdempotencyStore delegate, long maximumSize, Duration ttl, Clock clock) {
    return wrap(delegate, NearCacheSettings.of(maximumSize, ttl), clock);
  }

  /**
   * Returns the decorated store.
   *
   * @return the delegate
   */
  @Override
  public IdempotencyStore delegate() {
    return super.delegate();
  }

  /**
   * Returns the cache's size and time to live.
   *
   * @return the settings
   */
  public NearCacheSettings settings() {
    return settings;
  }

  /**
   * Returns the completed record of a key if this cache holds it and it has not expired, without
   * asking the store. Never returns an {@code IN_PROGRESS} record.
   *
   * @param key the composed key
   * @return the cached completed record, or null
   */
  public @Nullable IdempotencyRecord getIfCached(String key) {
    Cached cached = cache.getIfPresent(key);
    if (cached == null || clock.millis() >= cached.deadlineMillis) {
      return null;
    }
    return cached.record;
  }

  /**
   * Returns the approximate number of cached records, including expired ones not yet removed.
   *
   * @return the estimated size
   */
  public long estimatedSize() {
    return cache.estimatedSize();
  }

  /** Drops every cached record; the store is not changed. */
  public void invalidateAll() {
    cache.invalidateAll();
  }

  /**
   * Claims a key as specified by {@link IdempotencyStore#claim}: answers {@link
   * ClaimResult.Completed} from the cache when it holds a live completed record of the key, else
   * asks the delegate and caches the record if the answer is {@link ClaimResult.Completed}.
   */
  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    IdempotencyRecord cached = getIfCached(key);
    if (cached != null) {
      return ClaimResult.completed(cached);
    }
    ClaimResult result = delegate().claim(key, fingerprint, owner, lease, ttl);
    if (result instanceof ClaimResult.Completed completed) {
      remember(completed.record());
    }
    return result;
  }

  /**
   * Removes a record from this cache and from the delegate, as specified by {@link
   * IdempotencyStore#delete}. Near caches of other JVMs keep a completed record they hold until
   * their own TTL.
   */
  @Override
  public boolean delete(String key) {
    cache.invalidate(key);
    boolean removed = delegate().delete(key);
    cache.invalidate(key); // a find that raced with the delete may have cached it again
    return removed;
  }

  /**
   * Reads a record as specified by {@link IdempotencyStore#find}: from the cache when it holds a
   * live completed record of the key, else from the delegate, caching the answer if it is
   * completed.
   */
  @Override
  public Optional<IdempotencyRecord> find(String key) {
    IdempotencyRecord cached = getIfCached(key);
    if (cached != null) {
      return Optional.of(cached);
    }
    Optional<IdempotencyRecord> found = delegate().find(key);
    found.filter(IdempotencyRecord::isCompleted).ifPresent(this::remember);
    return found;
  }

  /** Drops every cached record and closes the delegate. */
  @Override
  public void close() {
    cache.invalidateAll();
    super.close();
  }

  private void remember(IdempotencyRecord record) {
    long now = clock.millis();
    long deadline = Math.min(floorMillis(record.expiresAt()), saturatedAdd(now, ttlMillis));
    if (deadline > now) {
      cache.put(record.key(), new Cached(record, deadline));
    }
  }

  /** The epoch millisecond at or before an instant, saturating at the range of a long. */
  private static long floorMillis(Instant instant) {
    try {
      return instant.toEpochMilli();
    } catch (ArithmeticException e) {
      return instant.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static long saturatedMillis(Duration duration) {
    try {
      return duration.toMillis();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  /**
   * A cached completed record and the epoch millisecond it stops being served at: the earlier of
   * its expiry (rounded down) and the cache's time to live.
   */
  private static final class Cached {
    final IdempotencyRecord record;
    final long deadlineMillis;

    Cached(IdempotencyRecord record, long deadlineMillis) {
      this.record = record;
      this.deadlineMillis = deadlineMillis;
    }
  }

  /** Lets Caffeine remove each record at its deadline, on the clock's time line. */
  private static final class UntilDeadline implements Expiry<String, Cached> {

    @Override
    public long expireAfterCreate(String key, Cached value, long currentTime) {
      long remainingMillis = value.deadlineMillis - currentTime / NANOS_PER_MILLI;
      if (remainingMillis <= 0) {
        return 0;
      }
      return remainingMillis >= Long.MAX_VALUE / NANOS_PER_MILLI
          ? Long.MAX_VALUE
          : remainingMillis * NANOS_PER_MILLI;
    }

    @Override
    public long expireAfterUpdate(
        String key, Cached value, long currentTime, long currentDuration) {
      return expireAfterCreate(key, value, currentTime);
    }

    @Override
    public long expireAfterRead(String key, Cached value, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }
}
