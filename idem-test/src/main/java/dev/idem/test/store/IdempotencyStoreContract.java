package dev.idem.test.store;

import static dev.idem.test.store.ContractFixtures.FINGERPRINT;
import static dev.idem.test.store.ContractFixtures.OWNER;
import static dev.idem.test.store.ContractFixtures.TTL;
import static dev.idem.test.store.ContractFixtures.VALUE;
import static dev.idem.test.store.ContractFixtures.acquired;
import static dev.idem.test.store.ContractFixtures.newKey;
import static dev.idem.test.store.ContractFixtures.newKeys;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link IdempotencyStore} passes: claim, complete, release, renew, find,
 * expiry, takeover, fencing and concurrency. A store extends this class once per database or
 * topology and implements the two abstract methods; everything else is inherited. A store that
 * declares an optional capability also implements that capability's contract: {@link
 * CompletionNotificationContract} for {@link IdempotencyStore#completionNotifier()}, {@link
 * PurgeContract} for {@link IdempotencyStore#purger()}. The kit checks that the declared
 * capabilities and the implemented contracts match, so no test is ever skipped and no capability
 * goes untested.
 *
 * <pre>{@code
 * class InMemoryStoreConformanceTest extends IdempotencyStoreContract
 *     implements CompletionNotificationContract {
 *   private final MutableClock clock = MutableClock.create();
 *   private final IdempotencyStore store = InMemoryIdempotencyStore.builder().clock(clock).build();
 *
 *   public IdempotencyStore store() { return store; }
 *   public void elapse(Duration d) { clock.advance(d); }
 * }
 * }</pre>
 *
 * <p>Stores on the JVM clock inject a {@link dev.idem.test.MutableClock} and advance it in {@link
 * #elapse}, so no test sleeps. Stores on a server clock (Redis, SQL) sleep in {@link #elapse} and
 * keep {@link #lease()} sub-second so the kit stays fast. Every test uses fresh random keys, so a
 * store may be shared by all tests of a class (and should be: servers are started once per JVM).
 *
 * <p>Time-based tests only ever wait through {@link #elapse}, in steps of {@link #lease()} and
 * {@link #margin()}: a record is checked to be still there {@code margin()} before the moment it
 * may go, and gone {@code margin()} after it. Timestamps are only compared with other timestamps of
 * the same store, never with the JVM's clock.
 */
public abstract class IdempotencyStoreContract {

  /** How far timestamps of one record may stray from the arithmetic that defines them. */
  private static final Duration TIMESTAMP_SLACK = Duration.ofMinutes(1);

  /** The lease of the concurrency tests: long enough never to end while they run. */
  private static final Duration FUZZ_LEASE = Duration.ofMinutes(10);

  private static final int FUZZ_THREADS = 16;
  private static final int FUZZ_KEYS = 200;

  private static final String OTHER_OWNER = "kit-node-2/kit-thread-7";
  private static final String OTHER_FINGERPRINT =
      "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c";
  private static final Outcome OTHER_VALUE =
      Outcome.of(OutcomeKind.VALUE, "{\"receipt\":\"r-2\"}".getBytes(StandardCharsets.UTF_8));

  /**
   * Returns the store under test. Called by every test; may return the same instance each time.
   *
   * @return the store
   */
  public abstract IdempotencyStore store();

  /**
   * Lets {@code duration} of the store's time pass: advances an injected clock, or sleeps when the
   * store uses its server's clock.
   *
   * @param duration how much time passes
   */
  public abstract void elapse(Duration duration);

  /**
   * Returns the lease the kit uses in time-based tests. Server-clock stores keep the default,
   * sub-second lease so that {@link #elapse} sleeps stay short.
   *
   * @return the lease
   */
  public Duration lease() {
    return Duration.ofMillis(400);
  }

  /**
   * Returns the margin added to {@link #lease()} when the kit waits for a lease to end, to absorb
   * timestamp precision and scheduling noise of server-clock stores.
   *
   * @return the margin
   */
  public Duration margin() {
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

  /** Checks that the subclass's timing fits the time-based tests. */
  @BeforeEach
  public void checkTiming() {
    assertThat(margin()).as("margin()").isPositive();
    assertThat(margin()).as("margin() must be shorter than lease()").isLessThan(lease());
  }

  // ---------------------------------------------------------------------------------------------
  // claim and find

  /** The store names itself for metrics and messages. */
  @Test
  public void storeHasAName() {
    assertThat(store().name()).isNotBlank();
  }

  // ---------------------------------------------------------------------------------------------
  // capabilities: each one declared is tested, and only those

  /**
   * The store declares a completion notifier if and only if its test implements {@link
   * CompletionNotificationContract}, so a notifier is never left untested.
   */
  @Test
  public void completionNotifierIsDeclaredIfAndOnlyIfItsContractIsImplemented() {
    assertDeclaredIfAndOnlyIfTested(
        "completion notifier",
        store().completionNotifier().isPresent(),
        CompletionNotificationContract.class);
  }

  /**
   * The store declares a purger if and only if its test implements {@link PurgeContract}, so a
   * purger is never left untested.
   */
  @Test
  public void purgerIsDeclaredIfAndOnlyIfItsContractIsImplemented() {
    assertDeclaredIfAndOnlyIfTested("purger", store().purger().isPresent(), PurgeContract.class);
  }

  /** A new key is acquired with a positive token, and the record is readable in progress. */
  @Test
  public void claimOfNewKeyAcquiresWithPositiveToken() {
    String key = newKey();

    ClaimResult.Acquired acquired = acquire(key);

    assertThat(acquired.token()).isPositive();
    assertThat(acquired.takeover()).isFalse();
    IdempotencyRecord record = found(key);
    assertThat(record.key()).isEqualTo(key);
    assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(record.token()).isEqualTo(acquired.token());
    assertThat(record.owner()).isEqualTo(OWNER);
    assertThat(record.fingerprint()).isEqualTo(FINGERPRINT);
    assertThat(record.leaseUntil()).isNotNull();
    assertThat(record.outcome()).isNull();
  }

  /** A second claim of a live key sees the first claimant's record and changes nothing. */
  @Test
  public void secondClaimSeesInProgressWithOwnerFingerprintAndLease() {
    String key = newKey();
    ClaimResult.Acquired first = acquire(key);
    IdempotencyRecord before = found(key);

    IdempotencyRecord seen = inProgress(claimAs(key, OTHER_FINGERPRINT, OTHER_OWNER));

    assertThat(seen.key()).isEqualTo(key);
    assertThat(seen.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(seen.token()).isEqualTo(first.token());
    assertThat(seen.owner()).isEqualTo(OWNER);
    assertThat(seen.fingerprint()).isEqualTo(FINGERPRINT);
    assertThat(seen.leaseUntil()).isEqualTo(before.leaseUntil());
    assertThat(seen.outcome()).isNull();
    assertThat(found(key)).isEqualTo(before);
  }

  /** Reading a key nobody claimed finds nothing. */
  @Test
  public void findOfUnknownKeyIsEmpty() {
    assertThat(store().find(newKey())).isEmpty();
  }

  /** Completing, releasing or renewing a key nobody claimed does nothing and creates nothing. */
  @Test
  public void completeReleaseAndRenewOfUnknownKeyReturnFalseAndCreateNothing() {
    String key = newKey();

    assertThat(store().complete(key, 1, VALUE, TTL)).isFalse();
    assertThat(store().release(key, 1)).isFalse();
    assertThat(store().renew(key, 1, lease())).isFalse();

    assertThat(store().find(key)).isEmpty();
    assertThat(acquire(key).takeover()).isFalse();
  }

  /** The record's timestamps follow the lease and the time-to-live of the claim and completion. */
  @Test
  public void recordTimestampsFollowLeaseAndTtl() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);

    IdempotencyRecord claimed = found(key);
    Duration leaseLength = Duration.between(claimed.createdAt(), leaseUntil(claimed));
    assertThat(claimed.createdAt()).isBeforeOrEqualTo(leaseUntil(claimed));
    assertThat(leaseLength).isBetween(lease().minus(margin()), lease().plus(TIMESTAMP_SLACK));
    assertThat(claimed.expiresAt()).isAfterOrEqualTo(leaseUntil(claimed));
    assertThat(Duration.between(claimed.createdAt(), claimed.expiresAt()))
        .isBetween(TTL.minus(TIMESTAMP_SLACK), TTL.plus(TIMESTAMP_SLACK));

    Duration completedTtl = TTL.multipliedBy(2);
    assertThat(store().complete(key, acquired.token(), VALUE, completedTtl)).isTrue();

    IdempotencyRecord completed = found(key);
    assertThat(completed.createdAt()).isEqualTo(claimed.createdAt());
    assertThat(completed.leaseUntil()).isNull();
    assertThat(Duration.between(completed.createdAt(), completed.expiresAt()))
        .isBetween(completedTtl.minus(TIMESTAMP_SLACK), completedTtl.plus(TIMESTAMP_SLACK));
  }

  // ---------------------------------------------------------------------------------------------
  // complete and outcomes

  /** A completed key is answered as completed by the next claim and by find, unchanged. */
  @Test
  public void completeMakesNextClaimAndFindSeeCompleted() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);

    assertThat(store().complete(key, acquired.token(), VALUE, TTL)).isTrue();

    IdempotencyRecord replayed = completed(claimAs(key, OTHER_FINGERPRINT, OTHER_OWNER));
    assertThat(replayed.key()).isEqualTo(key);
    assertThat(replayed.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(replayed.isCompleted()).isTrue();
    assertThat(replayed.token()).isEqualTo(acquired.token());
    assertThat(replayed.owner()).isEqualTo(OWNER);
    assertThat(replayed.fingerprint()).isEqualTo(FINGERPRINT);
    assertThat(replayed.leaseUntil()).isNull();
    assertSameOutcome(replayed, VALUE);
    assertThat(found(key)).isEqualTo(replayed);
  }

  /** A {@code VALUE} outcome round-trips exactly. */
  @Test
  public void valueOutcomeRoundTrips() {
    assertRoundTrips(VALUE);
  }

  /** A {@code VOID} outcome round-trips exactly. */
  @Test
  public void voidOutcomeRoundTrips() {
    assertRoundTrips(Outcome.ofVoid());
  }

  /** An {@code EXCEPTION} outcome round-trips exactly. */
  @Test
  public void exceptionOutcomeRoundTrips() {
    assertRoundTrips(
        Outcome.of(
            OutcomeKind.EXCEPTION,
            "{\"type\":\"com.example.OutOfStockException\",\"message\":\"épuisé – 品切れ\"}"
                .getBytes(StandardCharsets.UTF_8)));
  }

  /** A {@code DROPPED} outcome round-trips exactly. */
  @Test
  public void droppedOutcomeRoundTrips() {
    assertRoundTrips(Outcome.dropped("result of 2097152 bytes exceeds the limit of 1048576"));
  }

  /** Outcomes with no bytes round-trip as empty, not as null or as another kind. */
  @Test
  public void emptyOutcomeBytesRoundTripForEveryKind() {
    for (OutcomeKind kind : OutcomeKind.values()) {
      assertRoundTrips(Outcome.of(kind, new byte[0]));
    }
  }

  /** Every byte value, including ones that are not valid UTF-8, round-trips for every kind. */
  @Test
  public void allByteValuesRoundTripForEveryKind() {
    byte[] bytes = new byte[512];
    for (int i = 0; i < 256; i++) {
      bytes[i] = (byte) i;
      bytes[511 - i] = (byte) i;
    }
    for (OutcomeKind kind : OutcomeKind.values()) {
      assertRoundTrips(Outcome.of(kind, bytes));
    }
  }

  /** An outcome of one mebibyte round-trips exactly. */
  @Test
  public void oneMebibyteOutcomeRoundTrips() {
    byte[] bytes = new byte[1 << 20];
    new Random(20_240_601L).nextBytes(bytes);
    assertRoundTrips(Outcome.of(OutcomeKind.VALUE, bytes));
  }

  /** A claim without a fingerprint stores null, not an empty string, through completion. */
  @Test
  public void nullFingerprintRoundTripsAsNull() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquireAs(key, null, OWNER);

    assertThat(found(key).fingerprint()).isNull();
    assertThat(inProgress(claimAs(key, FINGERPRINT, OTHER_OWNER)).fingerprint()).isNull();
    assertThat(store().complete(key, acquired.token(), VALUE, TTL)).isTrue();
    assertThat(completed(claimAs(key, FINGERPRINT, OTHER_OWNER)).fingerprint()).isNull();
    assertThat(found(key).fingerprint()).isNull();
  }

  /** Completing with a token that is not the current one returns false and changes nothing. */
  @Test
  public void completeWithWrongTokenReturnsFalseAndChangesNothing() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);
    IdempotencyRecord before = found(key);

    for (long wrong : wrongTokens(acquired.token())) {
      assertThat(store().complete(key, wrong, OTHER_VALUE, TTL)).as("token %d", wrong).isFalse();
    }

    assertThat(found(key)).isEqualTo(before);
    assertThat(store().complete(key, acquired.token(), VALUE, TTL)).isTrue();
    assertSameOutcome(found(key), VALUE);
  }

  // ---------------------------------------------------------------------------------------------
  // release

  /** Release deletes the record; the next claim acquires afresh with a greater token. */
  @Test
  public void releaseDeletesRecordAndNextClaimAcquiresWithGreaterToken() {
    String key = newKey();
    ClaimResult.Acquired first = acquire(key);

    assertThat(store().release(key, first.token())).isTrue();

    assertThat(store().find(key)).isEmpty();
    assertFenced(key, first.token());
    assertThat(store().find(key)).isEmpty();
    assertNextClaimAcquiresAfresh(key, first.token());
  }

  /** Releasing with a token that is not the current one returns false and changes nothing. */
  @Test
  public void releaseWithWrongTokenReturnsFalseAndChangesNothing() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);
    IdempotencyRecord before = found(key);

    for (long wrong : wrongTokens(acquired.token())) {
      assertThat(store().release(key, wrong)).as("token %d", wrong).isFalse();
    }

    assertThat(found(key)).isEqualTo(before);
    assertThat(inProgress(claimAs(key, FINGERPRINT, OTHER_OWNER)).token())
        .isEqualTo(acquired.token());
    assertThat(store().release(key, acquired.token())).isTrue();
  }

  // ---------------------------------------------------------------------------------------------
  // delete (an operator's forced removal)

  /**
   * Deleting a claim in progress removes it whatever its token: its holder is fenced, and the next
   * claim acquires afresh with a greater token.
   */
  @Test
  public void deleteRemovesAClaimInProgressAndFencesItsHolder() {
    String key = newKey();
    ClaimResult.Acquired first = acquire(key);

    assertThat(store().delete(key)).isTrue();

    assertThat(store().find(key)).isEmpty();
    assertFenced(key, first.token());
    assertNextClaimAcquiresAfresh(key, first.token());
  }

  /** Deleting a completed record forgets it: the next claim acquires and may store another. */
  @Test
  public void deleteForgetsACompletedRecord() {
    String key = newKey();
    ClaimResult.Acquired first = acquire(key);
    assertThat(store().complete(key, first.token(), VALUE, TTL)).isTrue();

    assertThat(store().delete(key)).isTrue();

    assertThat(store().find(key)).isEmpty();
    assertNextClaimAcquiresAfresh(key, first.token());
  }

  /** Deleting a key without a record, or twice, returns false and touches no other key. */
  @Test
  public void deleteOfAnAbsentKeyReturnsFalseAndTouchesNoOtherKey() {
    String key = newKey();
    String other = newKey();
    ClaimResult.Acquired kept = acquire(other);

    assertThat(store().delete(key)).isFalse();
    acquire(key);
    assertThat(store().delete(key)).isTrue();
    assertThat(store().delete(key)).isFalse();

    assertThat(found(other).token()).isEqualTo(kept.token());
    assertThat(store().complete(other, kept.token(), VALUE, TTL)).isTrue();
  }

  // ---------------------------------------------------------------------------------------------
  // renew

  /** Renewal moves the lease end, so the claim is not taken over when its first lease ends. */
  @Test
  public void renewExtendsLeaseBeyondItsOriginalEnd() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);
    IdempotencyRecord before = found(key);

    assertThat(store().renew(key, acquired.token(), lease().multipliedBy(3))).isTrue();

    IdempotencyRecord renewed = found(key);
    assertThat(renewed.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(renewed.token()).isEqualTo(acquired.token());
    assertThat(renewed.owner()).isEqualTo(OWNER);
    assertThat(renewed.fingerprint()).isEqualTo(FINGERPRINT);
    assertThat(leaseUntil(renewed)).isAfter(leaseUntil(before));

    elapse(lease().plus(margin()));

    assertThat(inProgress(claimAs(key, OTHER_FINGERPRINT, OTHER_OWNER)).token())
        .isEqualTo(acquired.token());
    assertThat(store().complete(key, acquired.token(), VALUE, TTL)).isTrue();
  }

  /** Renewing with a short lease never brings the record's expiry forward. */
  @Test
  public void renewNeverShortensRecordExpiry() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);
    IdempotencyRecord before = found(key);

    assertThat(store().renew(key, acquired.token(), lease())).isTrue();

    IdempotencyRecord renewed = found(key);
    assertThat(renewed.expiresAt()).isAfterOrEqualTo(before.expiresAt());
    assertThat(renewed.expiresAt()).isAfterOrEqualTo(leaseUntil(renewed));
  }

  /** Renewing with a token that is not the current one returns false and changes nothing. */
  @Test
  public void renewWithWrongTokenReturnsFalseAndChangesNothing() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);
    IdempotencyRecord before = found(key);

    for (long wrong : wrongTokens(acquired.token())) {
      assertThat(store().renew(key, wrong, lease().multipliedBy(10)))
          .as("token %d", wrong)
          .isFalse();
    }

    assertThat(found(key)).isEqualTo(before);
  }

  /** Renewing a completed record returns false and leaves it as it is. */
  @Test
  public void renewOnCompletedRecordReturnsFalse() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);
    assertThat(store().complete(key, acquired.token(), VALUE, TTL)).isTrue();
    IdempotencyRecord completed = found(key);

    assertThat(store().renew(key, acquired.token(), lease())).isFalse();

    assertThat(found(key)).isEqualTo(completed);
  }

  // ---------------------------------------------------------------------------------------------
  // takeover and fencing

  /**
   * Once a lease ends, a claim takes the key over with a greater token, and the old token can no
   * longer complete, release or renew it.
   */
  @Test
  public void endedLeaseIsTakenOverAndOldTokenIsFenced() {
    String key = newKey();
    ClaimResult.Acquired first = acquire(key);
    IdempotencyRecord firstRecord = found(key);

    elapse(lease().plus(margin()));
    ClaimResult.Acquired second = acquireAs(key, OTHER_FINGERPRINT, OTHER_OWNER);

    assertThat(second.takeover()).isTrue();
    assertThat(second.token()).isGreaterThan(first.token());
    IdempotencyRecord taken = found(key);
    assertThat(taken.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(taken.token()).isEqualTo(second.token());
    assertThat(taken.owner()).isEqualTo(OTHER_OWNER);
    assertThat(taken.fingerprint()).isEqualTo(OTHER_FINGERPRINT);
    assertThat(leaseUntil(taken)).isAfter(leaseUntil(firstRecord));

    assertFenced(key, first.token());
    assertThat(found(key)).isEqualTo(taken);

    assertThat(store().complete(key, second.token(), OTHER_VALUE, TTL)).isTrue();
    IdempotencyRecord completed = completed(claim(key));
    assertThat(completed.token()).isEqualTo(second.token());
    assertThat(completed.owner()).isEqualTo(OTHER_OWNER);
    assertSameOutcome(completed, OTHER_VALUE);
  }

  /** A holder whose lease ended can still complete while nobody has taken the key over. */
  @Test
  public void holderCompletesAfterLeaseEndsWhenNobodyTookOver() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);

    elapse(lease().plus(margin()));

    assertThat(store().complete(key, acquired.token(), VALUE, TTL)).isTrue();
    IdempotencyRecord completed = completed(claim(key));
    assertThat(completed.token()).isEqualTo(acquired.token());
    assertSameOutcome(completed, VALUE);
  }

  // ---------------------------------------------------------------------------------------------
  // immutability of completed records

  /** A completed record is never taken over, even long after the lease period of its claim. */
  @Test
  public void completedRecordIsNeverTakenOverAfterLeasePeriod() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);
    assertThat(store().complete(key, acquired.token(), VALUE, TTL)).isTrue();
    IdempotencyRecord completed = found(key);

    elapse(lease().plus(margin()));

    assertThat(completed(claimAs(key, OTHER_FINGERPRINT, OTHER_OWNER))).isEqualTo(completed);
    assertThat(found(key)).isEqualTo(completed);
  }

  /** A completed record cannot be released, renewed or completed again, even by its holder. */
  @Test
  public void completedRecordCannotBeReleasedRenewedOrCompletedAgain() {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);
    assertThat(store().complete(key, acquired.token(), VALUE, TTL)).isTrue();
    IdempotencyRecord completed = found(key);

    assertThat(store().complete(key, acquired.token(), OTHER_VALUE, TTL.multipliedBy(2))).isFalse();
    assertThat(store().release(key, acquired.token())).isFalse();
    assertThat(store().renew(key, acquired.token(), lease())).isFalse();
    for (long wrong : wrongTokens(acquired.token())) {
      assertThat(store().complete(key, wrong, OTHER_VALUE, TTL)).as("token %d", wrong).isFalse();
      assertThat(store().release(key, wrong)).as("token %d", wrong).isFalse();
    }

    assertThat(found(key)).isEqualTo(completed);
    assertThat(completed(claim(key))).isEqualTo(completed);
  }

  // ---------------------------------------------------------------------------------------------
  // expiry

  /**
   * A completed record is there until its time-to-live from completion has passed, then it is
   * absent for every operation and the key is acquired afresh with a greater token.
   */
  @Test
  public void completedRecordExpiresAfterItsTtl() {
    String key = newKey();
    ClaimResult.Acquired first = acquire(key);
    Duration ttl = lease();
    assertThat(store().complete(key, first.token(), VALUE, ttl)).isTrue();

    elapse(ttl.minus(margin()));

    assertThat(store().find(key)).isPresent();
    assertThat(completed(claim(key)).token()).isEqualTo(first.token());

    elapse(margin().multipliedBy(2));

    assertThat(store().find(key)).isEmpty();
    assertFenced(key, first.token());
    assertThat(store().find(key)).isEmpty();
    assertNextClaimAcquiresAfresh(key, first.token());
    assertThat(found(key).fingerprint()).isEqualTo(OTHER_FINGERPRINT);
  }

  /**
   * An in-progress record whose time-to-live is shorter than its lease lives until the lease ends;
   * after that a claim acquires the key with a greater token.
   */
  @Test
  public void inProgressRecordWithTtlShorterThanLeaseLivesUntilLeaseEnds() {
    String key = newKey();
    ClaimResult result = store().claim(key, FINGERPRINT, OWNER, lease(), Duration.ofMillis(1));
    ClaimResult.Acquired first = acquired(result);
    IdempotencyRecord claimed = found(key);
    assertThat(claimed.expiresAt()).isAfterOrEqualTo(leaseUntil(claimed));

    elapse(lease().minus(margin()));

    assertThat(inProgress(claimAs(key, OTHER_FINGERPRINT, OTHER_OWNER)).token())
        .isEqualTo(first.token());
    assertThat(store().find(key)).isPresent();

    elapse(margin().multipliedBy(2));

    ClaimResult.Acquired second = acquireAs(key, OTHER_FINGERPRINT, OTHER_OWNER);
    assertThat(second.token()).isGreaterThan(first.token());
    assertThat(store().complete(key, first.token(), VALUE, TTL)).isFalse();
  }

  // ---------------------------------------------------------------------------------------------
  // keys

  /** Keys differing only in letter case are different keys. */
  @Test
  public void keysAreCaseSensitive() {
    String base = newKey();
    assertDistinctKeys(base + ":Key", base + ":key", base + ":KEY");
  }

  /** Keys differing only in leading or trailing spaces are different keys. */
  @Test
  public void keysAreWhitespaceSensitive() {
    String base = newKey();
    assertDistinctKeys(base + ":k", base + ":k ", base + ":k  ", " " + base + ":k");
  }

  /**
   * Keys with non-ASCII characters, characters outside the Basic Multilingual Plane, and characters
   * that are special to SQL, Redis patterns or hash tags are stored exactly; accents and Unicode
   * normalization forms are not folded.
   */
  @Test
  public void keysWithUnicodeAndSpecialCharactersAreStoredExactly() {
    String base = newKey();
    assertDistinctKeys(
        base + ":ключ:键:🔑",
        base + ":{tag}:a:b",
        "{" + base + "}:x",
        base + "}{",
        base + ":'\";--%_*?[]\\",
        base + ":cafe",
        base + ":café",
        base + ":cafe\u0301",
        base + ":a",
        base + ":á");
  }

  /** Keys of 255 characters are stored exactly, without truncation, in ASCII and otherwise. */
  @Test
  public void keysOf255CharactersAreStoredExactly() {
    String ascii = padTo255(newKey() + ":", 'x');
    String wide = padTo255(newKey() + ":", '键');
    assertThat(ascii).hasSize(255);
    assertThat(wide).hasSize(255);
    assertDistinctKeys(
        ascii.substring(0, 254) + "a",
        ascii.substring(0, 254) + "b",
        wide.substring(0, 254) + "甲",
        wide.substring(0, 254) + "乙");
  }

  // ---------------------------------------------------------------------------------------------
  // concurrency

  /** Many threads claiming the same keys at once acquire each key exactly once. */
  @Test
  public void concurrentClaimsAcquireEachKeyExactlyOnce() throws Exception {
    List<String> keys = newKeys(FUZZ_KEYS);

    Map<String, Long> holders = claimConcurrently(keys);

    assertThat(holders).hasSize(FUZZ_KEYS);
    for (String key : keys) {
      IdempotencyRecord record = found(key);
      assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
      assertThat(record.token()).isEqualTo(holders.get(key));
    }
  }

  /**
   * Many threads completing the same keys at once, with the holder's token and with stale tokens,
   * store exactly one outcome per key: one of the holder's.
   */
  @Test
  public void concurrentCompletesStoreOnlyTheCurrentHoldersOutcome() throws Exception {
    List<String> keys = newKeys(FUZZ_KEYS);
    Map<String, Long> stale = claimConcurrently(keys);
    for (String key : keys) {
      assertThat(store().release(key, stale.get(key))).isTrue();
    }
    Map<String, Long> current = claimConcurrently(keys);
    for (String key : keys) {
      assertThat(current.get(key)).isGreaterThan(stale.get(key));
    }

    Map<String, ConcurrentLinkedQueue<String>> successes = new ConcurrentHashMap<>();
    AtomicInteger staleSuccesses = new AtomicInteger();
    runConcurrently(
        thread -> {
          for (int i = 0; i < keys.size(); i++) {
            // Pairs of threads walk the keys in the same order, from either end, and every thread
            // alternates tokens from key to key: each key gets both tokens from several threads,
            // and a thread that runs alone meets half of its keys with a stale token first.
            String key = keys.get((thread / 2) % 2 == 0 ? i : keys.size() - 1 - i);
            boolean useCurrent = (thread + i) % 2 == 0;
            long token = useCurrent ? current.get(key) : stale.get(key);
            String label = "thread-" + thread + "-" + (useCurrent ? "current" : "stale");
            Outcome outcome = Outcome.of(OutcomeKind.VALUE, label.getBytes(StandardCharsets.UTF_8));
            if (store().complete(key, token, outcome, TTL)) {
              successes.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(label);
              if (!useCurrent) {
                staleSuccesses.incrementAndGet();
              }
            }
            if (!useCurrent && store().release(key, token)) {
              staleSuccesses.incrementAndGet();
            }
          }
        });

    assertThat(staleSuccesses).as("stale tokens that completed or released").hasValue(0);
    Map<String, Integer> successCounts = new TreeMap<>();
    for (String key : keys) {
      Queue<String> labels = successes.getOrDefault(key, new ConcurrentLinkedQueue<>());
      successCounts.put(key, labels.size());
    }
    assertThat(successCounts.values()).as("successful completes per key").containsOnly(1);
    for (String key : keys) {
      IdempotencyRecord record = found(key);
      assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
      assertThat(record.token()).isEqualTo(current.get(key));
      String winner = Objects.requireNonNull(successes.get(key).peek());
      assertSameOutcome(
          record, Outcome.of(OutcomeKind.VALUE, winner.getBytes(StandardCharsets.UTF_8)));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private void assertDeclaredIfAndOnlyIfTested(
      String capability, boolean declared, Class<?> contract) {
    boolean tested = contract.isInstance(this);

    assertThat(tested)
        .as(
            declared
                ? "the store declares a %s: %s must implement %s"
                : "the store declares no %s: %s must not implement %s",
            capability,
            getClass().getName(),
            contract.getSimpleName())
        .isEqualTo(declared);
  }

  /** Asserts that {@code token} can no longer complete, release or renew {@code key}. */
  private void assertFenced(String key, long token) {
    assertThat(store().complete(key, token, VALUE, TTL))
        .as("complete with token %d", token)
        .isFalse();
    assertThat(store().release(key, token)).as("release with token %d", token).isFalse();
    assertThat(store().renew(key, token, lease())).as("renew with token %d", token).isFalse();
  }

  /**
   * Asserts that the next claim of {@code key}, which has no live record, acquires it afresh (no
   * takeover) with a token greater than {@code oldToken}, and that the new holder can complete it
   * while {@code oldToken} cannot.
   */
  private void assertNextClaimAcquiresAfresh(String key, long oldToken) {
    ClaimResult.Acquired next = acquireAs(key, OTHER_FINGERPRINT, OTHER_OWNER);
    assertThat(next.token()).isGreaterThan(oldToken);
    assertThat(next.takeover()).isFalse();
    assertThat(store().complete(key, oldToken, VALUE, TTL)).isFalse();
    assertThat(store().complete(key, next.token(), OTHER_VALUE, TTL)).isTrue();
    assertSameOutcome(found(key), OTHER_VALUE);
  }

  private static String padTo255(String prefix, char pad) {
    StringBuilder key = new StringBuilder(255).append(prefix);
    while (key.length() < 255) {
      key.append(pad);
    }
    return key.toString();
  }

  /** Positive tokens that differ from {@code token}. */
  private static long[] wrongTokens(long token) {
    return token > 1
        ? new long[] {token + 1, token - 1, Long.MAX_VALUE}
        : new long[] {token + 1, Long.MAX_VALUE};
  }

  private ClaimResult claim(String key) {
    return claimAs(key, FINGERPRINT, OWNER);
  }

  private ClaimResult claimAs(String key, @Nullable String fingerprint, String owner) {
    return store().claim(key, fingerprint, owner, lease(), TTL);
  }

  private ClaimResult.Acquired acquire(String key) {
    return ContractFixtures.acquire(store(), key, lease());
  }

  private ClaimResult.Acquired acquireAs(String key, @Nullable String fingerprint, String owner) {
    return acquired(claimAs(key, fingerprint, owner));
  }

  private static IdempotencyRecord inProgress(ClaimResult result) {
    assertThat(result).as("claim result").isInstanceOf(ClaimResult.InProgress.class);
    return ((ClaimResult.InProgress) result).record();
  }

  private static IdempotencyRecord completed(ClaimResult result) {
    assertThat(result).as("claim result").isInstanceOf(ClaimResult.Completed.class);
    return ((ClaimResult.Completed) result).record();
  }

  private IdempotencyRecord found(String key) {
    return ContractFixtures.found(store(), key);
  }

  private static Instant leaseUntil(IdempotencyRecord record) {
    assertThat(record.leaseUntil()).as("leaseUntil of %s", record).isNotNull();
    return Objects.requireNonNull(record.leaseUntil());
  }

  private static void assertSameOutcome(IdempotencyRecord record, Outcome expected) {
    Outcome actual = record.outcome();
    assertThat(actual).as("outcome of %s", record).isNotNull();
    assertThat(Objects.requireNonNull(actual).kind()).as("outcome kind").isEqualTo(expected.kind());
    byte[] actualBytes = actual.unsafeBytes();
    byte[] expectedBytes = expected.unsafeBytes();
    assertThat(Arrays.mismatch(actualBytes, expectedBytes))
        .as(
            "index of the first differing outcome byte (-1: identical); %d bytes stored, %d expected",
            actualBytes.length, expectedBytes.length)
        .isEqualTo(-1);
  }

  private void assertRoundTrips(Outcome outcome) {
    String key = newKey();
    ClaimResult.Acquired acquired = acquire(key);

    assertThat(store().complete(key, acquired.token(), outcome, TTL)).isTrue();

    assertSameOutcome(completed(claimAs(key, OTHER_FINGERPRINT, OTHER_OWNER)), outcome);
    assertSameOutcome(found(key), outcome);
  }

  /**
   * Claims every key as its own owner and completes it with an outcome naming the key, then checks
   * that each key reads back its own record.
   */
  private void assertDistinctKeys(String... keys) {
    assertThat(new HashSet<>(Arrays.asList(keys))).as("distinct test keys").hasSize(keys.length);
    Map<String, Long> tokens = new TreeMap<>();
    for (String key : keys) {
      ClaimResult.Acquired acquired = acquireAs(key, FINGERPRINT, "owner of " + key);
      tokens.put(key, acquired.token());
    }
    for (String key : keys) {
      IdempotencyRecord record = found(key);
      assertThat(record.key()).isEqualTo(key);
      assertThat(record.owner()).isEqualTo("owner of " + key);
      assertThat(record.token()).isEqualTo(tokens.get(key));
    }
    for (String key : keys) {
      Outcome outcome = Outcome.of(OutcomeKind.VALUE, key.getBytes(StandardCharsets.UTF_8));
      assertThat(store().complete(key, tokens.get(key), outcome, TTL)).isTrue();
    }
    for (String key : keys) {
      IdempotencyRecord record = completed(claim(key));
      assertThat(record.key()).isEqualTo(key);
      assertThat(record.token()).isEqualTo(tokens.get(key));
      assertSameOutcome(
          record, Outcome.of(OutcomeKind.VALUE, key.getBytes(StandardCharsets.UTF_8)));
    }
  }

  /**
   * Has {@link #FUZZ_THREADS} threads claim all {@code keys} at once and checks that each key was
   * acquired exactly once and that every other claim saw the acquirer's record.
   *
   * @return the acquired token of each key
   */
  private Map<String, Long> claimConcurrently(List<String> keys) throws Exception {
    Map<String, ConcurrentLinkedQueue<Long>> acquired = new ConcurrentHashMap<>();
    Map<String, ConcurrentLinkedQueue<Long>> seen = new ConcurrentHashMap<>();
    AtomicInteger inProgress = new AtomicInteger();
    AtomicInteger completed = new AtomicInteger();
    runConcurrently(
        thread -> {
          for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(thread % 2 == 0 ? i : keys.size() - 1 - i);
            ClaimResult result =
                store().claim(key, FINGERPRINT, "kit-thread-" + thread, FUZZ_LEASE, TTL);
            if (result instanceof ClaimResult.Acquired a) {
              acquired.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(a.token());
            } else if (result instanceof ClaimResult.InProgress p) {
              inProgress.incrementAndGet();
              seen.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(p.record().token());
            } else {
              completed.incrementAndGet();
            }
          }
        });

    Map<String, Integer> acquisitions = new TreeMap<>();
    for (String key : keys) {
      acquisitions.put(key, acquired.getOrDefault(key, new ConcurrentLinkedQueue<>()).size());
    }
    assertThat(acquisitions.values()).as("acquisitions per key").containsOnly(1);
    assertThat(inProgress)
        .as("claims that saw InProgress")
        .hasValue(keys.size() * (FUZZ_THREADS - 1));
    assertThat(completed).as("claims that saw Completed").hasValue(0);
    Map<String, Long> tokens =
        keys.stream()
            .collect(
                Collectors.toMap(
                    key -> key, key -> Objects.requireNonNull(acquired.get(key).peek())));
    for (String key : keys) {
      assertThat(Set.copyOf(seen.get(key)))
          .as("tokens seen by the claims that lost")
          .containsExactly(tokens.get(key));
    }
    return tokens;
  }

  /** Runs {@code body} on {@link #FUZZ_THREADS} threads released at the same moment. */
  private static void runConcurrently(IntConsumer body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(FUZZ_THREADS);
    try {
      CountDownLatch ready = new CountDownLatch(FUZZ_THREADS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < FUZZ_THREADS; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  start.await();
                  body.accept(thread);
                  return null;
                }));
      }
      assertThat(ready.await(30, SECONDS)).as("all threads ready").isTrue();
      start.countDown();
      for (Future<?> future : futures) {
        future.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
