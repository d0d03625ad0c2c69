package dev.idem.store.memory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** A clock the tests move by hand, and can make fail, like a broken time source would. */
final class TestClock extends Clock {

  private final AtomicReference<Instant> now;
  private volatile @Nullable RuntimeException failure;

  TestClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  void advance(Duration duration) {
    now.updateAndGet(instant -> instant.plus(duration));
  }

  void failWith(@Nullable RuntimeException failure) {
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
