package dev.idem.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Clock} that stands still until a test moves it, so expiry tests never sleep.
 * Thread-safe; resolution is one nanosecond.
 */
public final class MutableClock extends Clock {

  private final AtomicLong epochNanos;
  private final ZoneId zone;

  private MutableClock(long epochNanos, ZoneId zone) {
    this.epochNanos = new AtomicLong(epochNanos);
    this.zone = zone;
  }

  /**
   * Returns a clock set to the given instant, in UTC.
   *
   * @param start the initial time
   * @return the clock
   */
  public static MutableClock at(Instant start) {
    return new MutableClock(
        start.getEpochSecond() * 1_000_000_000L + start.getNano(), ZoneOffset.UTC);
  }

  /**
   * Returns a clock set to a fixed, arbitrary instant (2030-01-01T00:00:00Z), in UTC.
   *
   * @return the clock
   */
  public static MutableClock create() {
    return at(Instant.parse("2030-01-01T00:00:00Z"));
  }

  /**
   * Moves the clock forward.
   *
   * @param duration how far; not negative
   */
  public void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("cannot move a clock backwards: " + duration);
    }
    epochNanos.addAndGet(duration.toNanos());
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    MutableClock other = new MutableClock(0, zone);
    other.epochNanos.set(epochNanos.get());
    return other;
  }

  @Override
  public Instant instant() {
    long nanos = epochNanos.get();
    return Instant.ofEpochSecond(
        Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }

  @Override
  public long millis() {
    return Math.floorDiv(epochNanos.get(), 1_000_000L);
  }
}
