package dev.idem.store.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.test.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What the conformance kit cannot see of the in-memory store: its builder, argument validation,
 * exact time arithmetic on its own clock, Caffeine's eviction and expiry, and its notifier.
 */
class InMemoryIdempotencyStoreTest {

  private static final Instant START = Instant.parse("2030-01-01T00:00:00Z");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofHours(1);
  private static final Outcome VALUE =
      Outcome.of(OutcomeKind.VALUE, "42".getBytes(StandardCharsets.UTF_8));

  private final MutableClock clock = MutableClock.at(START);
  private final InMemoryIdempotencyStore store =
      InMemoryIdempotencyStore.builder().clock(clock).build();

  // builder

  @Test
  void createReturnsWorkingStoreOnSystemClockNamedMemory() {
    InMemoryIdempotencyStore system = InMemoryIdempotencyStore.create();

    assertThat(system.name()).isEqualTo("memory");
    long token = acquired(system.claim("k", null, "o", LEASE, TTL)).token();
    assertThat(system.complete("k", token, VALUE, TTL)).isTrue();
    IdempotencyRecord record = system.find("k").orElseThrow();
    assertThat(Duration.between(Instant.now(), record.createdAt()).abs())
        .isLessThan(Duration.ofMinutes(1));
  }

  @Test
  void builderRejectsNullClock() {
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().clock(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("clock");
  }

  @Test
  void builderRejectsNonPositiveMaximumSize() {
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().maximumSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maximumSize");
    assertThatThrownBy(() -> InMemoryIdempotencyStore.builder().maximumSize(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eachBuildReturnsAnIndependentStore() {
    InMemoryIdempotencyStore.Builder builder = InMemoryIdempotencyStore.builder().clock(clock);
    InMemoryIdempotencyStore first = builder.build();
    InMemoryIdempotencyStore second = builder.build();

    acquired(first.claim("k", null, "o", LEASE, TTL));

    assertThat(second.find("k")).isEmpty();
    acquired(second.claim("k", null, "o", LEASE, TTL));
  }

  @Test
  void maximumSizeBoundsTheNumberOfCompletedRecords() {
    InMemoryIdempotencyStore bounded =
        InMemoryIdempotencyStore.builder().clock(clock).maximumSize(10).build();

    for (int i = 0; i < 1_000; i++) {
      long token = acquired(bounded.claim("k" + i, null, "o", LEASE, TTL)).token();
      assertThat(bounded.complete("k" + i, token, Outcome.ofVoid(), TTL)).isTrue();
    }

    assertThat(bounded.physicalSize()).isLessThanOrEqualTo(10);
    int live = 0;
    for (int i = 0; i < 1_000; i++) {
      live += bounded.find("k" + i).isPresent() ? 1 : 0;
    }
    assertThat(live).isBetween(1, 10);
  }

  /** Regression: a full bounded store evicted claims in progress, so duplicates ran again. */
  @Test
  void boundedStoreNeverEvictsClaimsInProgress() {
    InMemoryIdempotencyStore bounded =
        InMemoryIdempotencyStore.builder().clock(clock).maximumSize(10).build();

    for (int i = 0; i < 1_000; i++) {
      acquired(bounded.claim("k" + i, null, "o", LEASE, TTL));
    }

    for (int i = 0; i < 1_000; i++) {
      assertThat(bounded.claim("k" + i, null, "o", LEASE, TTL))
          .as("claim of k%d", i)
          .isInstanceOf(ClaimResult.InProgress.class);
    }
  }

  @Test
  void unboundedStoreKeepsEveryLiveRecord() {
    for (int i = 0; i < 10_000; i++) {
      acquired(store.claim("k" + i, null, "o", LEASE, TTL));
    }

    assertThat(store.physicalSize()).isEqualTo(10_000);
  }

  // argument validation

  @Test
  void claimRejectsInvalidArguments() {
    assertThatThrownBy(() -> store.claim(null, null, "o", LEASE, TTL))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim("", null, "o", LEASE, TTL))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.claim(" \t", null, "o", LEASE, TTL))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.claim("k", null, null, LEASE, TTL))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim("k", null, "o", null, TTL))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim("k", null, "o", Duration.ZERO, TTL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lease");
    assertThatThrownBy(() -> store.claim("k", null, "o", Duration.ofMillis(-1), TTL))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.claim("k", null, "o", LEASE, null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.claim("k", null, "o", LEASE, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ttl");

    assertThat(store.find("k")).isEmpty();
  }

  @Test
  void completeReleaseRenewAndFindRejectInvalidArguments() {
    long token = acquired(store.claim("k", null, "o", LEASE, TTL)).token();
    IdempotencyRecord before = store.find("k").orElseThrow();

    assertThatThrownBy(() -> store.complete(null, token, VALUE, TTL))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.complete(" ", token, VALUE, TTL))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.complete("k", token, null, TTL))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.complete("k", token, VALUE, null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.complete("k", token, VALUE, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.release(null, token)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.release("", token)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.renew(null, token, LEASE))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.renew("", token, LEASE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.renew("k", token, null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.renew("k", token, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.find(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.find("  ")).isInstanceOf(IllegalArgumentException.class);

    assertThat(store.find("k")).contains(before);
  }

  @Test
  void nonPositiveTokensAreNeverCurrent() {
    acquired(store.claim("k", null, "o", LEASE, TTL));
    IdempotencyRecord before = store.find("k").orElseThrow();

    for (long token : new long[] {0, -1, Long.MIN_VALUE}) {
      assertThat(store.complete("k", token, VALUE, TTL)).isFalse();
      assertThat(store.release("k", token)).isFalse();
      assertThat(store.renew("k", token, LEASE)).isFalse();
    }

    assertThat(store.find("k")).contains(before);
  }

  // time arithmetic on the store's clock

  @Test
  void inProgressRecordExpiresAtLaterOfTtlAndLeaseEnd() {
    acquired(store.claim("ttl-longer", null, "o", Duration.ofSeconds(10), TTL));
    acquired(store.claim("lease-longer", null, "o", TTL, Duration.ofSeconds(10)));

    IdempotencyRecord ttlLonger = store.find("ttl-longer").orElseThrow();
    assertThat(ttlLonger.createdAt()).isEqualTo(START);
    assertThat(ttlLonger.leaseUntil()).isEqualTo(START.plusSeconds(10));
    assertThat(ttlLonger.expiresAt()).isEqualTo(START.plus(TTL));
    IdempotencyRecord leaseLonger = store.find("lease-longer").orElseThrow();
    assertThat(leaseLonger.leaseUntil()).isEqualTo(START.plus(TTL));
    assertThat(leaseLonger.expiresAt()).isEqualTo(START.plus(TTL));
  }

  @Test
  void leaseEndsExactlyAtLeaseUntil() {
    long first = acquired(store.claim("k", "f1", "o1", LEASE, TTL)).token();

    clock.advance(LEASE.minusNanos(1));
    assertThat(store.claim("k", "f2", "o2", LEASE, TTL)).isInstanceOf(ClaimResult.InProgress.class);

    clock.advance(Duration.ofNanos(1));
    ClaimResult.Acquired second = acquired(store.claim("k", "f2", "o2", LEASE, TTL));
    assertThat(second.takeover()).isTrue();
    assertThat(second.token()).isGreaterThan(first);
  }

  @Test
  void completedRecordExpiresExactlyAtExpiresAt() {
    long token = acquired(store.claim("k", null, "o", LEASE, TTL)).token();
    clock.advance(Duration.ofSeconds(5));
    assertThat(store.complete("k", token, VALUE, Duration.ofSeconds(10))).isTrue();
    assertThat(store.find("k").orElseThrow().expiresAt()).isEqualTo(START.plusSeconds(15));

    clock.advance(Duration.ofSeconds(10).minusNanos(1));
    assertThat(store.find("k")).isPresent();
    assertThat(store.claim("k", null, "o", LEASE, TTL)).isInstanceOf(ClaimResult.Completed.class);

    clock.advance(Duration.ofNanos(1));
    assertThat(store.find("k")).isEmpty();
    ClaimResult.Acquired again = acquired(store.claim("k", null, "o", LEASE, TTL));
    assertThat(again.takeover()).isFalse();
    assertThat(again.token()).isGreaterThan(token);
  }

  @Test
  void completionKeepsOwnerFingerprintAndCreatedAt() {
    long token = acquired(store.claim("k", "f", "o", LEASE, TTL)).token();
    clock.advance(Duration.ofSeconds(3));

    assertThat(store.complete("k", token, VALUE, Duration.ofMinutes(2))).isTrue();

    IdempotencyRecord completed = store.find("k").orElseThrow();
    assertThat(completed)
        .isEqualTo(
            new IdempotencyRecord(
                "k",
                dev.idem.spi.RecordState.COMPLETED,
                token,
                "o",
                "f",
                null,
                VALUE,
                START,
                START.plusSeconds(3).plus(Duration.ofMinutes(2))));
  }

  @Test
  void renewSetsLeaseFromNowAndMovesExpiryOnlyLater() {
    long token =
        acquired(store.claim("k", null, "o", Duration.ofSeconds(1), Duration.ofSeconds(10)))
            .token();
    clock.advance(Duration.ofMillis(500));

    assertThat(store.renew("k", token, TTL)).isTrue();
    IdempotencyRecord extended = store.find("k").orElseThrow();
    Instant renewedAt = START.plusMillis(500);
    assertThat(extended.leaseUntil()).isEqualTo(renewedAt.plus(TTL));
    assertThat(extended.expiresAt()).isEqualTo(renewedAt.plus(TTL));

    assertThat(store.renew("k", token, Duration.ofSeconds(1))).isTrue();
    IdempotencyRecord shortened = store.find("k").orElseThrow();
    assertThat(shortened.leaseUntil()).isEqualTo(renewedAt.plusSeconds(1));
    assertThat(shortened.expiresAt()).isEqualTo(renewedAt.plus(TTL));
  }

  @Test
  void takeoverKeepsCreatedAtAndRestartsExpiry() {
    acquired(store.claim("k", "f1", "o1", Duration.ofSeconds(1), Duration.ofSeconds(10)));
    clock.advance(Duration.ofSeconds(2));

    ClaimResult.Acquired takeover = acquired(store.claim("k", "f2", "o2", LEASE, TTL));

    assertThat(takeover.takeover()).isTrue();
    IdempotencyRecord record = store.find("k").orElseThrow();
    assertThat(record.createdAt()).isEqualTo(START);
    assertThat(record.owner()).isEqualTo("o2");
    assertThat(record.fingerprint()).isEqualTo("f2");
    assertThat(record.leaseUntil()).isEqualTo(START.plusSeconds(2).plus(LEASE));
    assertThat(record.expiresAt()).isEqualTo(START.plusSeconds(2).plus(TTL));
  }

  @Test
  void durationsBeyondOneHundredYearsAreShortenedToOneHundredYears() {
    Duration century = Duration.ofDays(365L * 100);
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
    long token = acquired(store.claim("k", null, "o", forever, forever)).token();

    IdempotencyRecord claimed = store.find("k").orElseThrow();
    assertThat(claimed.leaseUntil()).isEqualTo(START.plus(century));
    assertThat(claimed.expiresAt()).isEqualTo(START.plus(century));
    assertThat(store.renew("k", token, forever)).isTrue();
    assertThat(store.complete("k", token, VALUE, forever)).isTrue();
    assertThat(store.find("k").orElseThrow().expiresAt()).isEqualTo(START.plus(century));

    clock.advance(century.minusDays(1));
    assertThat(store.find("k")).isPresent();
    assertThat(store.physicalSize()).isEqualTo(1);
    clock.advance(Duration.ofDays(1));
    assertThat(store.find("k")).isEmpty();
    // Caffeine's timer wheel removes entries within about a second of their expiry
    clock.advance(Duration.ofMinutes(1));
    assertThat(store.physicalSize()).isZero();
  }

  @Test
  void storeWorksOnAClockFarFromTheEpoch() {
    MutableClock early = MutableClock.at(Instant.parse("1900-01-01T00:00:00Z"));
    InMemoryIdempotencyStore old = InMemoryIdempotencyStore.builder().clock(early).build();
    long token = acquired(old.claim("k", null, "o", LEASE, TTL)).token();
    assertThat(old.complete("k", token, VALUE, TTL)).isTrue();

    early.advance(TTL.minusNanos(1));
    assertThat(old.find("k")).isPresent();
    assertThat(old.physicalSize()).isEqualTo(1);
    early.advance(Duration.ofNanos(1));
    assertThat(old.find("k")).isEmpty();
    early.advance(Duration.ofMinutes(1));
    assertThat(old.physicalSize()).isZero();
  }

  @Test
  void tokensComeFromOneCounterForAllKeys() {
    long a = acquired(store.claim("a", null, "o", LEASE, TTL)).token();
    long b = acquired(store.claim("b", null, "o", LEASE, TTL)).token();
    assertThat(store.release("b", b)).isTrue();
    long b2 = acquired(store.claim("b", null, "o", LEASE, TTL)).token();
    long c = acquired(store.claim("c", null, "o", LEASE, TTL)).token();

    assertThat(a).isPositive();
    assertThat(List.of(a, b, b2, c)).isSorted().doesNotHaveDuplicates();
  }

  // Caffeine

  @Test
  void caffeineRemovesExpiredRecordsByItselfOnTheInjectedClock() {
    for (int i = 0; i < 100; i++) {
      long token = acquired(store.claim("k" + i, null, "o", Duration.ofSeconds(1), TTL)).token();
      if (i % 2 == 0) {
        assertThat(store.complete("k" + i, token, VALUE, Duration.ofMinutes(1))).isTrue();
      }
    }
    assertThat(store.physicalSize()).isEqualTo(100);

    clock.advance(Duration.ofMinutes(2));
    assertThat(store.physicalSize()).isEqualTo(50);

    clock.advance(TTL);
    assertThat(store.physicalSize()).isZero();
  }

  @Test
  void failureOfTheClockSurfacesAsStoreExceptionWithoutTheKey() {
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    InMemoryIdempotencyStore fragile =
        InMemoryIdempotencyStore.builder().clock(failingWhileSet(clock, failure)).build();
    long token = acquired(fragile.claim("secret-key", null, "o", LEASE, TTL)).token();
    IllegalStateException broken = new IllegalStateException("clock broke");
    failure.set(broken);

    assertThatThrownBy(() -> fragile.claim("secret-key", null, "o", LEASE, TTL))
        .isInstanceOfSatisfying(
            IdempotencyStoreException.class,
            e -> {
              assertThat(e.store()).isEqualTo("memory");
              assertThat(e.storeOperation()).isEqualTo("claim");
              assertThat(e.getMessage()).doesNotContain("secret-key");
            })
        .hasRootCause(broken);
    assertThatThrownBy(() -> fragile.complete("secret-key", token, VALUE, TTL))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThatThrownBy(() -> fragile.release("secret-key", token))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThatThrownBy(() -> fragile.renew("secret-key", token, LEASE))
        .isInstanceOf(IdempotencyStoreException.class);
    assertThatThrownBy(() -> fragile.find("secret-key"))
        .isInstanceOf(IdempotencyStoreException.class);

    failure.set(null);
    assertThat(fragile.find("secret-key").orElseThrow().token()).isEqualTo(token);
  }

  // capabilities and notifier

  @Test
  void declaresNotifierButNoPurger() {
    assertThat(store.completionNotifier()).isPresent();
    assertThat(store.completionNotifier().orElseThrow())
        .isSameAs(store.completionNotifier().orElseThrow());
    assertThat(store.purger()).isEmpty();
    assertThatNoException().isThrownBy(store::close);
  }

  @Test
  void listenersRunOnTheCompletingAndReleasingThreadBeforeTheCallReturns() {
    CompletionNotifier notifier = store.completionNotifier().orElseThrow();
    AtomicReference<Thread> caller = new AtomicReference<>();
    AtomicInteger calls = new AtomicInteger();
    notifier.subscribe(
        "k",
        () -> {
          caller.set(Thread.currentThread());
          calls.incrementAndGet();
        });

    long first = acquired(store.claim("k", null, "o", LEASE, TTL)).token();
    assertThat(store.release("k", first)).isTrue();
    assertThat(calls).hasValue(1);
    assertThat(caller).hasValue(Thread.currentThread());

    long second = acquired(store.claim("k", null, "o", LEASE, TTL)).token();
    assertThat(store.complete("k", second, VALUE, TTL)).isTrue();
    assertThat(calls).hasValue(2);
  }

  @Test
  void listenersAreNotCalledWhenNothingWasCompletedOrReleased() {
    AtomicInteger calls = new AtomicInteger();
    store.completionNotifier().orElseThrow().subscribe("k", calls::incrementAndGet);
    AtomicInteger otherCalls = new AtomicInteger();
    store.completionNotifier().orElseThrow().subscribe("other", otherCalls::incrementAndGet);

    long token = acquired(store.claim("k", null, "o", LEASE, TTL)).token();
    assertThat(store.claim("k", null, "o", LEASE, TTL)).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(store.renew("k", token, LEASE)).isTrue();
    assertThat(store.complete("k", token + 1, VALUE, TTL)).isFalse();
    assertThat(store.release("k", token + 1)).isFalse();
    assertThat(calls).hasValue(0);

    assertThat(store.complete("k", token, VALUE, TTL)).isTrue();
    assertThat(store.complete("k", token, VALUE, TTL)).isFalse();
    assertThat(store.release("k", token)).isFalse();
    assertThat(calls).hasValue(1);
    assertThat(otherCalls).hasValue(0);
  }

  @Test
  void failingListenerFailsNeitherTheCompletionNorTheOtherListeners() {
    CompletionNotifier notifier = store.completionNotifier().orElseThrow();
    AtomicInteger calls = new AtomicInteger();
    notifier.subscribe(
        "k",
        () -> {
          throw new IllegalStateException("listener broke");
        });
    notifier.subscribe("k", calls::incrementAndGet);
    long token = acquired(store.claim("k", null, "o", LEASE, TTL)).token();

    assertThat(store.complete("k", token, VALUE, TTL)).isTrue();

    assertThat(calls).hasValue(1);
    assertThat(store.find("k").orElseThrow().isCompleted()).isTrue();
  }

  @Test
  void closingOneOfTwoSubscriptionsOfTheSameListenerKeepsTheOther() {
    CompletionNotifier notifier = store.completionNotifier().orElseThrow();
    AtomicInteger calls = new AtomicInteger();
    Runnable listener = calls::incrementAndGet;
    CompletionNotifier.Subscription first = notifier.subscribe("k", listener);
    notifier.subscribe("k", listener);

    first.close();
    first.close();
    long token = acquired(store.claim("k", null, "o", LEASE, TTL)).token();
    assertThat(store.release("k", token)).isTrue();

    assertThat(calls).hasValue(1);
  }

  @Test
  void closedSubscriptionsLeaveNothingBehind() {
    CompletionNotifier notifier = store.completionNotifier().orElseThrow();
    List<CompletionNotifier.Subscription> subscriptions = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      subscriptions.add(notifier.subscribe("k" + (i % 3), () -> {}));
    }
    assertThat(store.subscribedKeyCount()).isEqualTo(3);

    subscriptions.forEach(CompletionNotifier.Subscription::close);
    subscriptions.forEach(CompletionNotifier.Subscription::close);

    assertThat(store.subscribedKeyCount()).isZero();
  }

  @Test
  void concurrentSubscribeAndCloseLeaveNothingBehind() throws Exception {
    CompletionNotifier notifier = store.completionNotifier().orElseThrow();
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < 2_000; i++) {
                    CompletionNotifier.Subscription subscription =
                        notifier.subscribe("k" + (i % 4), () -> {});
                    if (i % 3 == 0) {
                      store.release("k" + (i % 4), 1);
                    }
                    subscription.close();
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> future : futures) {
        future.get(1, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(store.subscribedKeyCount()).isZero();
  }

  @Test
  void subscribeRejectsInvalidArguments() {
    CompletionNotifier notifier = store.completionNotifier().orElseThrow();

    assertThatThrownBy(() -> notifier.subscribe(null, () -> {}))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> notifier.subscribe(" ", () -> {}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> notifier.subscribe("k", null))
        .isInstanceOf(NullPointerException.class);
    assertThat(store.subscribedKeyCount()).isZero();
  }

  private static ClaimResult.Acquired acquired(ClaimResult result) {
    assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
    return (ClaimResult.Acquired) result;
  }

  /**
   * {@code time}, except that it throws {@code failure} while one is set, as a broken source would.
   */
  private static Clock failingWhileSet(Clock time, AtomicReference<RuntimeException> failure) {
    return new Clock() {
      @Override
      public Instant instant() {
        RuntimeException current = failure.get();
        if (current != null) {
          throw current;
        }
        return time.instant();
      }

      @Override
      public long millis() {
        return instant().toEpochMilli();
      }

      @Override
      public ZoneId getZone() {
        return time.getZone();
      }

      @Override
      public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
      }
    };
  }
}
