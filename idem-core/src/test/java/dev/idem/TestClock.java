package dev.idem;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A clock the tests of this module move by hand, and can make fail like a broken time source
 * (idem-test's MutableClock cannot be used here: idem-test depends on this module).
 */
public final class TestClock extends Clock {
  private final AtomicReference<Instant> now;
  private volatile @Nullable RuntimeException failure;

  public TestClock() {
    this(Instant.parse("2030-01-01T00:00:00Z"));
  }

  public TestClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  public void advance(Duration duration) {
    now.updateAndGet(instant -> instant.plus(duration));
  }

  public void failWith(@Nullable RuntimeException failure) {
    this.failure = failure;
  }

  @Override
  public Instant instant() {
    RuntimeException current = failure;
    if (current != null) {
      throw current;
    }
    return now.get();
  }

  @Override
  public long millis() {
    return instant().toEpochMilli();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException();
  }
}
