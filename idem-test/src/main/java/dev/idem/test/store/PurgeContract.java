package dev.idem.test.store;

import static dev.idem.test.store.ContractFixtures.FINGERPRINT;
import static dev.idem.test.store.ContractFixtures.OWNER;
import static dev.idem.test.store.ContractFixtures.TTL;
import static dev.idem.test.store.ContractFixtures.VALUE;
import static dev.idem.test.store.ContractFixtures.acquire;
import static dev.idem.test.store.ContractFixtures.acquired;
import static dev.idem.test.store.ContractFixtures.found;
import static dev.idem.test.store.ContractFixtures.newKey;
import static dev.idem.test.store.ContractFixtures.newKeys;
import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spi.ExpiredRecordPurger;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract of a store that declares a {@link IdempotencyStore#purger() purger} of expired
 * records: it deletes expired records in bounded batches and keeps live ones. The test class of
 * such a store extends {@link IdempotencyStoreContract} and implements this interface; the base
 * contract fails a store that declares a purger without it, and a test that implements it for a
 * store that declares none. The purge test expects no other purger to run on the same backend (the
 * same table) at the same time.
 *
 * <pre>{@code
 * class PostgresStoreConformanceTest extends IdempotencyStoreContract implements PurgeContract {
 *   ...
 * }
 * }</pre>
 */
public interface PurgeContract {

  /**
   * Returns the store under test; implemented by {@link IdempotencyStoreContract#store()}.
   *
   * @return the store
   */
  IdempotencyStore store();

  /**
   * Lets store time pass; implemented by {@link IdempotencyStoreContract#elapse(Duration)}.
   *
   * @param duration how much time passes
   */
  void elapse(Duration duration);

  /**
   * Returns the lease of time-based tests; implemented by {@link IdempotencyStoreContract#lease()}.
   *
   * @return the lease
   */
  Duration lease();

  /**
   * Returns the margin of time-based tests; implemented by {@link
   * IdempotencyStoreContract#margin()}.
   *
   * @return the margin
   */
  Duration margin();

  /**
   * The purger deletes expired records in batches of at most the requested size, and keeps live
   * records, including an in-progress record whose time-to-live has passed but whose lease has not.
   */
  @Test
  default void purgerDeletesExpiredRecordsInBoundedBatchesAndKeepsLiveOnes() {
    ExpiredRecordPurger purger =
        store()
            .purger()
            .orElseThrow(
                () ->
                    new AssertionError(
                        "the test implements PurgeContract, but the store declares no purger"));
    IdempotencyStore store = store();
    List<String> expiring = newKeys(5);
    for (int i = 0; i < expiring.size(); i++) {
      String key = expiring.get(i);
      if (i % 2 == 0) {
        assertThat(store.complete(key, acquire(store, key, lease()).token(), VALUE, lease()))
            .isTrue();
      } else {
        acquired(store.claim(key, FINGERPRINT, OWNER, lease(), Duration.ofMillis(1)));
      }
    }
    String liveCompleted = newKey();
    assertThat(
            store.complete(
                liveCompleted, acquire(store, liveCompleted, lease()).token(), VALUE, TTL))
        .isTrue();
    String liveInProgress = newKey();
    acquire(store, liveInProgress, lease());
    String leasedPastTtl = newKey();
    acquired(store.claim(leasedPastTtl, null, OWNER, TTL, Duration.ofMillis(1)));
    List<IdempotencyRecord> live =
        List.of(
            found(store, liveCompleted), found(store, liveInProgress), found(store, leasedPastTtl));

    elapse(lease().plus(margin()));

    int batch = 2;
    int first = purger.purgeExpired(batch);
    assertThat(first).as("first batch").isBetween(0, batch);
    int total = first;
    int last = first;
    for (int round = 0; last == batch && round < 100_000; round++) {
      last = purger.purgeExpired(batch);
      assertThat(last).as("batch %d", round + 2).isBetween(0, batch);
      total += last;
    }
    assertThat(last).as("last batch").isLessThan(batch);
    assertThat(total).as("records purged").isGreaterThanOrEqualTo(expiring.size());

    for (IdempotencyRecord record : live) {
      assertThat(found(store, record.key())).isEqualTo(record);
    }
    for (String key : expiring) {
      assertThat(store.find(key)).isEmpty();
      assertThat(acquire(store, key, lease()).takeover()).isFalse();
    }
  }
}
