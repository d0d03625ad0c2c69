package dev.idem.test.store;

import dev.idem.spi.IdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.MutableClock;
import java.time.Duration;

/** The in-memory store passes the conformance kit on a clock the tests advance. */
class InMemoryStoreConformanceTest extends IdempotencyStoreContract
    implements CompletionNotificationContract {

  private final MutableClock clock = MutableClock.create();
  private final IdempotencyStore store = InMemoryIdempotencyStore.builder().clock(clock).build();

  @Override
  public IdempotencyStore store() {
    return store;
  }

  @Override
  public void elapse(Duration duration) {
    clock.advance(duration);
  }
}
