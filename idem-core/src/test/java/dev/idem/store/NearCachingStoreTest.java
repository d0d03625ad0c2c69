package dev.idem.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.NearCacheSettings;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import dev.idem.test.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class NearCachingStoreTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RECORD_TTL = Duration.ofSeconds(10);
  private static final Outcome OUTCOME =
      Outcome.of(OutcomeKind.VALUE, "\"done\"".getBytes(StandardCharsets.UTF_8));

  private final MutableClock clock = MutableClock.create();
  private final Counting delegate =
      new Counting(InMemoryIdempotencyStore.builder().clock(clock).build());
  private final NearCachingStore near =
      NearCachingStore.wrap(delegate, 100, Duration.ofHours(1), clock);

  /** Claims and completes a key in the store behind the cache. */
  private long complete(String key, Duration ttl) {
    long token = ((ClaimResult.Acquired) delegate.claim(key, "fp", "me", LEASE, ttl)).token();
    assertThat(delegate.complete(key, token, OUTCOME, ttl)).isTrue();
    return token;
  }

  private ClaimResult claim(NearCachingStore store, String key) {
    return store.claim(key, "fp", "me", LEASE, RECORD_TTL);
  }

  @Test
  void replaysACompletedRecordWithoutAskingTheStoreAgain() {
    complete("k", RECORD_TTL);
    int before = delegate.claims.get();

    ClaimResult first = claim(near, "k");
    ClaimResult second = claim(near, "k");
    ClaimResult third = claim(near, "k");

    assertThat(first).isInstanceOf(ClaimResult.Completed.class);
    assertThat(second).isEqualTo(first);
    assertThat(third).isEqualTo(first);
    assertThat(delegate.claims.get() - before).isEqualTo(1);
    assertThat(near.getIfCached("k")).isEqualTo(((ClaimResult.Completed) first).record());
  }

  @Test
  void neverCachesARecordInProgress() {
    ClaimResult acquired = claim(near, "k");
    assertThat(acquired).isInstanceOf(ClaimResult.Acquired.class);

    for (int i = 0; i < 3; i++) {
      assertThat(claim(near, "k")).isInstanceOf(ClaimResult.InProgress.class);
    }
    assertThat(near.find("k")).get().extracting(IdempotencyRecord::isCompleted).isEqualTo(false);

    assertThat(near.getIfCached("k")).isNull();
    assertThat(near.estimatedSize()).isZero();
    assertThat(delegate.claims).hasValue(4);
    assertThat(delegate.finds).hasValue(1);
  }

  @Test
  void neverServesARecordAtOrPastItsStoreExpiry() {
    complete("k", RECORD_TTL);
    claim(near, "k");

    clock.advance(RECORD_TTL.minusMillis(1));
    assertThat(near.getIfCached("k")).isNotNull();
    int before = delegate.claims.get();

    clock.advance(Duration.ofMillis(1));
    assertThat(near.getIfCached("k")).isNull();
    assertThat(near.find("k")).isEmpty();
    // the store has dropped it too: the next claim is a new execution, not a replay
    assertThat(claim(near, "k")).isInstanceOf(ClaimResult.Acquired.class);
    assertThat(delegate.claims.get() - before).isEqualTo(1);
  }

  @Test
  void roundsSubMillisecondExpiryTowardsExpiry() {
    clock.advance(Duration.ofNanos(400_000)); // 0.4 ms past a whole millisecond
    complete("k", RECORD_TTL); // expires at 10 s + 0.4 ms
    claim(near, "k");

    clock.advance(RECORD_TTL.minusNanos(400_000)); // 10 s exactly: 0.4 ms before expiry
    assertThat(near.getIfCached("k")).as("expiry is checked at millisecond resolution").isNull();
    assertThat(claim(near, "k")).isInstanceOf(ClaimResult.Completed.class);
  }

  @Test
  void aKeyClaimedAgainAfterExpiryIsNeverAnsweredFromTheCache() {
    complete("k", RECORD_TTL);
    assertThat(claim(near, "k")).isInstanceOf(ClaimResult.Completed.class);

    clock.advance(RECORD_TTL);
    // another node claims the expired key and is still running
    assertThat(delegate.claim("k", "fp2", "other", LEASE, RECORD_TTL))
        .isInstanceOf(ClaimResult.Acquired.class);

    assertThat(claim(near, "k")).isInstanceOf(ClaimResult.InProgress.class);
    assertThat(near.find("k")).get().extracting(IdempotencyRecord::owner).isEqualTo("other");
    assertThat(near.getIfCached("k")).isNull();
  }

  @Test
  void cacheTtlShorterThanTheRecordsSendsTheNextReplayToTheStore() {
    NearCachingStore shortLived =
        NearCachingStore.wrap(delegate, 100, Duration.ofSeconds(1), clock);
    complete("k", Duration.ofHours(1));
    claim(shortLived, "k");
    int before = delegate.claims.get();

    clock.advance(Duration.ofMillis(999));
    assertThat(claim(shortLived, "k")).isInstanceOf(ClaimResult.Completed.class);
    assertThat(delegate.claims.get()).isEqualTo(before);

    clock.advance(Duration.ofMillis(1));
    assertThat(shortLived.getIfCached("k")).isNull();
    assertThat(claim(shortLived, "k")).isInstanceOf(ClaimResult.Completed.class);
    assertThat(delegate.claims.get()).isEqualTo(before + 1);
    assertThat(shortLived.getIfCached("k")).isNotNull();
  }

  @Test
  void findCachesCompletedRecords() {
    complete("k", RECORD_TTL);
    assertThat(near.find("k")).get().extracting(IdempotencyRecord::isCompleted).isEqualTo(true);
    assertThat(near.find("k")).isPresent();
    assertThat(claim(near, "k")).isInstanceOf(ClaimResult.Completed.class);
    assertThat(delegate.finds).hasValue(1);
    assertThat(near.find("absent")).isEmpty();
  }

  @Test
  void isBoundedByItsMaximumSize() {
    NearCachingStore small = NearCachingStore.wrap(delegate, 2, Duration.ofHours(1), clock);
    for (int i = 0; i < 50; i++) {
      complete("k" + i, RECORD_TTL);
      claim(small, "k" + i);
    }
    assertThat(small.estimatedSize()).isLessThanOrEqualTo(2);
  }

  @Test
  void mutationsGoStraightToTheStore() {
    long token = ((ClaimResult.Acquired) claim(near, "k")).token();
    assertThat(near.renew("k", token, LEASE)).isTrue();
    assertThat(near.release("k", token)).isTrue();
    long again = ((ClaimResult.Acquired) claim(near, "k")).token();
    assertThat(near.complete("k", again, OUTCOME, RECORD_TTL)).isTrue();
    assertThat(near.getIfCached("k")).as("completion does not populate the cache").isNull();
    assertThat(claim(near, "k")).isInstanceOf(ClaimResult.Completed.class);
    assertThat(near.getIfCached("k")).isNotNull();

    assertThat(delegate.renews).hasValue(1);
    assertThat(delegate.releases).hasValue(1);
    assertThat(delegate.completes).hasValue(1);
    assertThat(near.name()).isEqualTo("memory");
    assertThat(near.completionNotifier()).isEqualTo(delegate.completionNotifier());
    assertThat(near.purger()).isEmpty();
    assertThat(near.delegate()).isSameAs(delegate);
  }

  @Test
  void invalidateAllEmptiesTheCacheButNotTheStore() {
    complete("k", RECORD_TTL);
    claim(near, "k");
    near.invalidateAll();
    assertThat(near.getIfCached("k")).isNull();
    assertThat(claim(near, "k")).isInstanceOf(ClaimResult.Completed.class);
  }

  @Test
  void rejectsInvalidSettingsAndDoubleWrapping() {
    assertThatThrownBy(() -> NearCachingStore.wrap(delegate, 0, Duration.ofSeconds(1), clock))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NearCachingStore.wrap(delegate, 1, Duration.ZERO, clock))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NearCachingStore.wrap(near, NearCacheSettings.ofDefaults(), clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already near-cached");
    assertThat(NearCachingStore.wrap(delegate, NearCacheSettings.ofDefaults(), clock).settings())
        .isEqualTo(NearCacheSettings.of(10_000, Duration.ofMinutes(5)));
  }

  /** Counts the calls that reach the store behind the cache. */
  static final class Counting implements IdempotencyStore {
    final IdempotencyStore delegate;
    final AtomicInteger claims = new AtomicInteger();
    final AtomicInteger finds = new AtomicInteger();
    final AtomicInteger completes = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    final AtomicInteger renews = new AtomicInteger();

    Counting(IdempotencyStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public ClaimResult claim(
        String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
      claims.incrementAndGet();
      return delegate.claim(key, fingerprint, owner, lease, ttl);
    }

    @Override
    public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
      completes.incrementAndGet();
      return delegate.complete(key, token, outcome, ttl);
    }

    @Override
    public boolean delete(String key) {
      return delegate.delete(key);
    }

    @Override
    public boolean release(String key, long token) {
      releases.incrementAndGet();
      return delegate.release(key, token);
    }

    @Override
    public boolean renew(String key, long token, Duration lease) {
      renews.incrementAndGet();
      return delegate.renew(key, token, lease);
    }

    @Override
    public Optional<IdempotencyRecord> find(String key) {
      finds.incrementAndGet();
      return delegate.find(key);
    }

    @Override
    public Optional<dev.idem.spi.CompletionNotifier> completionNotifier() {
      return delegate.completionNotifier();
    }
  }
}
