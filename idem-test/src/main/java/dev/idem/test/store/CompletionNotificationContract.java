package dev.idem.test.store;

import static dev.idem.test.store.ContractFixtures.TTL;
import static dev.idem.test.store.ContractFixtures.VALUE;
import static dev.idem.test.store.ContractFixtures.acquire;
import static dev.idem.test.store.ContractFixtures.newKey;
import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyStore;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

/**
 * The contract of a store that declares a {@link IdempotencyStore#completionNotifier() completion
 * notifier}: subscribers of a key are woken when it is completed or released, and closed
 * subscriptions are not. The test class of such a store extends {@link IdempotencyStoreContract}
 * and implements this interface; the base contract fails a store that declares a notifier without
 * it, and a test that implements it for a store that declares none.
 *
 * <pre>{@code
 * class RedisStoreConformanceTest extends IdempotencyStoreContract
 *     implements CompletionNotificationContract { ... }
 * }</pre>
 */
public interface CompletionNotificationContract {

  /**
   * Returns the store under test; implemented by {@link IdempotencyStoreContract#store()}.
   *
   * @return the store
   */
  IdempotencyStore store();

  /**
   * Returns how long the notification tests wait for a listener to be called, for stores whose
   * notifications travel through a server.
   *
   * @return the longest wait for one notification
   */
  default Duration notificationTimeout() {
    return Duration.ofSeconds(10);
  }

  /** A subscriber of a key is notified when the key is completed. */
  @Test
  default void notifierWakesSubscriberOnComplete() throws InterruptedException {
    assertSubscriberWokenBy("completion", (key, token) -> store().complete(key, token, VALUE, TTL));
  }

  /** A subscriber of a key is notified when the key is released. */
  @Test
  default void notifierWakesSubscriberOnRelease() throws InterruptedException {
    assertSubscriberWokenBy("release", (key, token) -> store().release(key, token));
  }

  /**
   * A closed subscription is not notified any more, while another subscription of the same key,
   * whose listener does the same thing, still is; closing twice has no effect.
   */
  @Test
  default void closedSubscriptionIsNotNotified() throws InterruptedException {
    CompletionNotifier notifier = declaredNotifier();
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(store(), key, TTL);
    AtomicInteger closedCalls = new AtomicInteger();
    CountDownLatch openWoken = new CountDownLatch(1);

    CompletionNotifier.Subscription closed = notifier.subscribe(key, closedCalls::incrementAndGet);
    CompletionNotifier.Subscription open = notifier.subscribe(key, openWoken::countDown);
    try {
      closed.close();
      closed.close();
      assertThat(store().complete(key, acquired.token(), VALUE, TTL)).isTrue();

      assertThat(openWoken.await(notificationTimeout().toMillis(), TimeUnit.MILLISECONDS))
          .as("open listener called within %s of the completion", notificationTimeout())
          .isTrue();
    } finally {
      open.close();
    }
    assertThat(closedCalls).as("calls of the closed listener").hasValue(0);
  }

  /**
   * Claims a new key, subscribes to it, ends the claim with {@code end} (which must succeed) and
   * asserts that the subscriber is called within {@link #notificationTimeout()}.
   */
  private void assertSubscriberWokenBy(String event, BiPredicate<String, Long> end)
      throws InterruptedException {
    CompletionNotifier notifier = declaredNotifier();
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(store(), key, TTL);
    CountDownLatch woken = new CountDownLatch(1);

    CompletionNotifier.Subscription subscription = notifier.subscribe(key, woken::countDown);
    try {
      assertThat(end.test(key, acquired.token())).as("the %s", event).isTrue();

      assertThat(woken.await(notificationTimeout().toMillis(), TimeUnit.MILLISECONDS))
          .as("listener called within %s of the %s", notificationTimeout(), event)
          .isTrue();
    } finally {
      subscription.close();
    }
  }

  private CompletionNotifier declaredNotifier() {
    return store()
        .completionNotifier()
        .orElseThrow(
            () ->
                new AssertionError(
                    "the test implements CompletionNotificationContract,"
                        + " but the store declares no completion notifier"));
  }
}
