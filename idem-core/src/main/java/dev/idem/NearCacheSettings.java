package dev.idem;

import dev.idem.internal.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * The size and time to live of a near cache: a bounded, in-JVM cache of completed records kept in
 * front of the store, so that replays of hot keys skip the store round trip. Immutable.
 *
 * <pre>{@code
 * IdempotencyConfig config = IdempotencyConfig.builder()
 *     .store(redisStore)
 *     .nearCache(NearCacheSettings.of(50_000, Duration.ofMinutes(5)))
 *     .build();
 * }</pre>
 *
 * <p>A cached record is dropped at the earlier of its own expiry and {@link #ttl()} after it was
 * cached, so the time to live bounds how long a record deleted from the store by hand (or evicted
 * by a bounded store) keeps being replayed by this JVM.
 *
 * @see dev.idem.store.NearCachingStore
 */
public final class NearCacheSettings {

  /** The maximum number of records of {@link #ofDefaults()}: 10,000. */
  public static final long DEFAULT_MAXIMUM_SIZE = 10_000;

  /** The time to live of {@link #ofDefaults()}: 5 minutes. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

  private static final NearCacheSettings DEFAULTS =
      new NearCacheSettings(DEFAULT_MAXIMUM_SIZE, DEFAULT_TTL);

  private final long maximumSize;
  private final Duration ttl;

  private NearCacheSettings(long maximumSize, Duration ttl) {
    this.maximumSize = maximumSize;
    this.ttl = ttl;
  }

  /**
   * Returns settings with the given bounds.
   *
   * @param maximumSize the most records the cache holds; positive
   * @param ttl the longest a record stays cached; positive
   * @return the settings
   * @throws IllegalArgumentException if a bound is not positive
   * @throws NullPointerException if {@code ttl} is null
   */
  public static NearCacheSettings of(long maximumSize, Duration ttl) {
    if (maximumSize <= 0) {
      throw new IllegalArgumentException("near cache maximumSize must be positive: " + maximumSize);
    }
    return new NearCacheSettings(
        maximumSize,
        Durations.requirePositive(Objects.requireNonNull(ttl, "ttl"), "near cache ttl"));
  }

  /**
   * Returns the default settings: {@value #DEFAULT_MAXIMUM_SIZE} records, 5 minutes.
   *
   * @return the default settings
   */
  public static NearCacheSettings ofDefaults() {
    return DEFAULTS;
  }

  /**
   * Returns the most records the cache holds; the least valuable are evicted beyond it.
   *
   * @return the maximum size
   */
  public long maximumSize() {
    return maximumSize;
  }

  /**
   * Returns the longest a record stays cached, whatever its own expiry.
   *
   * @return the time to live
   */
  public Duration ttl() {
    return ttl;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NearCacheSettings other
        && maximumSize == other.maximumSize
        && ttl.equals(other.ttl);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maximumSize, ttl);
  }

  @Override
  public String toString() {
    return "NearCacheSettings[maximumSize=" + maximumSize + ", ttl=" + ttl + "]";
  }
}
