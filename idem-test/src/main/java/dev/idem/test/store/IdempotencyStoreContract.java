package dev.idem.test.store;

import dev.idem.spi.IdempotencyStore;
import java.time.Duration;

/**
 * The contract every {@link IdempotencyStore} passes: claim, complete, release, renew, find,
 * expiry, takeover, fencing and concurrency. A store extends this class once per database or
 * topology and implements the two abstract methods; everything else is inherited.
 *
 * <pre>{@code
 * class InMemoryStoreConformanceTest extends IdempotencyStoreContract {
 *   private final MutableClock clock = MutableClock.create();
 *   private final IdempotencyStore store = InMemoryIdempotencyStore.builder().clock(clock).build();
 *
 *   protected IdempotencyStore store() { return store; }
 *   protected void elapse(Duration d) { clock.advance(d); }
 * }
 * }</pre>
 *
 * <p>Stores on the JVM clock inject a {@link dev.idem.test.MutableClock} and advance it in {@link
 * #elapse}, so no test sleeps. Stores on a server clock (Redis, SQL) sleep in {@link #elapse} and
 * keep {@link #lease()} sub-second so the kit stays fast. Every test uses fresh random keys, so a
 * store may be shared by all tests of a class (and should be: servers are started once per JVM).
 */
public abstract class IdempotencyStoreContract {

  /**
   * Returns the store under test. Called by every test; may return the same instance each time.
   *
   * @return the store
   */
  protected abstract IdempotencyStore store();

  /**
   * Lets {@code duration} of the store's time pass: advances an injected clock, or sleeps when the
   * store uses its server's clock.
   *
   * @param duration how much time passes
   */
  protected abstract void elapse(Duration duration);

  /**
   * Returns the lease the kit uses in time-based tests. Server-clock stores keep the default,
   * sub-second lease so that {@link #elapse} sleeps stay short.
   *
   * @return the lease
   */
  protected Duration lease() {
    return Duration.ofMillis(400);
  }

  /**
   * Returns the margin added to {@link #lease()} when the kit waits for a lease to end, to absorb
   * timestamp precision and scheduling noise of server-clock stores.
   *
   * @return the margin
   */
  protected Duration margin() {
    return Duration.ofMillis(150);
  }

  /**
   * Sleeps; a ready-made {@link #elapse} for server-clock stores.
   *
   * @param duration how long to sleep
   */
  protected static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while letting store time pass", e);
    }
  }
}
