package dev.idem.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.test.servers.TestRedis;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.redisson.api.RBucket;
import org.redisson.api.RMap;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;

/**
 * What the Redis store adds to the conformance kit: its record layout, tokens, fail-closed reads,
 * notifier, life cycle.
 */
@ExtendWith(RedisTestSupport.class)
class RedissonIdempotencyStoreTest {

  private static final Duration LEASE = Duration.ofMinutes(1);
  private static final Duration TTL = Duration.ofHours(1);
  private static final Outcome VALUE =
      Outcome.of(OutcomeKind.VALUE, "{\"receipt\":\"r-1\"}".getBytes(StandardCharsets.UTF_8));

  private final RedissonClient client = RedisTestClients.standalone();
  private final RedissonIdempotencyStore store = RedisTestClients.standaloneStore();

  @Test
  void recordIsOneStringInTheDocumentedLayoutThatRedisExpires() {
    String key = newKey();
    long token = acquire(key).token();

    ByteBuffer claimed = ByteBuffer.wrap(rawValue(key));
    assertThat(Arrays.copyOfRange(claimed.array(), 0, 8))
        .containsExactly(0, 'I', 'D', 'M', 1, 'P', 0, '-');
    assertThat(claimed.getLong(8)).isEqualTo(token);
    assertThat(claimed.getLong(16)).as("lifetime").isEqualTo(TTL.toMillis());
    assertThat(claimed.getLong(24)).as("lease gap").isEqualTo(TTL.minus(LEASE).toMillis());
    assertThat(text(claimed, 32)).isEqualTo("owner-1");
    assertThat(text(claimed, 32 + 4 + 7)).isEqualTo("fp-1");
    assertThat(claimed.capacity()).isEqualTo(32 + 4 + 7 + 4 + 4);
    assertThat(remainingTtl(key)).isBetween(TTL.minusMinutes(1), TTL);
    IdempotencyRecord inProgress = store.find(key).orElseThrow();
    assertThat(inProgress.expiresAt().toEpochMilli()).isEqualTo(expireTime(key));
    assertThat(inProgress.leaseUntil()).isEqualTo(inProgress.createdAt().plus(LEASE));

    assertThat(store.complete(key, token, VALUE, TTL.multipliedBy(2))).isTrue();

    ByteBuffer completed = ByteBuffer.wrap(rawValue(key));
    assertThat(Arrays.copyOfRange(completed.array(), 0, 8))
        .containsExactly(0, 'I', 'D', 'M', 1, 'C', 0, 'V');
    assertThat(completed.getLong(8)).isEqualTo(token);
    assertThat(completed.getLong(16))
        .as("created")
        .isEqualTo(inProgress.createdAt().toEpochMilli());
    assertThat(completed.getLong(24)).as("expires").isEqualTo(expireTime(key));
    assertThat(new String(completed.array(), 51, completed.capacity() - 51, StandardCharsets.UTF_8))
        .isEqualTo("{\"receipt\":\"r-1\"}");
    assertThat(remainingTtl(key))
        .isBetween(TTL.multipliedBy(2).minusMinutes(1), TTL.multipliedBy(2));
  }

  @Test
  void freshKeysGetTheClockInMicrosecondsAndTokensNeverRepeatInTheJvm() {
    long before = System.currentTimeMillis() * 1000;
    long first = acquire(newKey()).token();
    long second = acquire(newKey()).token();
    long after = System.currentTimeMillis() * 1000 + 999;

    assertThat(first).isBetween(before, after);
    assertThat(second).isGreaterThan(first).isLessThanOrEqualTo(Math.max(after, first + 1));
  }

  @Test
  void releaseLeavesATombstoneThatOnlyKeepsTheTokenUntilTheRecordsExpiry() {
    String key = newKey();
    long first = acquire(key).token();
    long expiry = expireTime(key);

    assertThat(store.release(key, first)).isTrue();

    ByteBuffer tombstone = ByteBuffer.wrap(rawValue(key));
    assertThat(tombstone.capacity()).isEqualTo(32);
    assertThat(Arrays.copyOfRange(tombstone.array(), 0, 8))
        .containsExactly(0, 'I', 'D', 'M', 1, 'R', 0, '-');
    assertThat(tombstone.getLong(8)).isEqualTo(first);
    assertThat(expireTime(key)).isEqualTo(expiry);
    assertThat(store.find(key)).isEmpty();
    ClaimResult.Acquired second = acquire(key);
    assertThat(second.takeover()).isFalse();
    assertThat(second.token()).isGreaterThan(first);
    assertThat(rawValue(key)[5]).isEqualTo((byte) 'P');
  }

  @Test
  void tokenGrowsFromTheStoredTokenWhenItIsAheadOfTheRedisClock() {
    String key = newKey();
    long future = (System.currentTimeMillis() + Duration.ofDays(365).toMillis()) * 1000;
    ByteBuffer tombstone = ByteBuffer.allocate(32);
    tombstone.put(new byte[] {0, 'I', 'D', 'M', 1, 'R', 0, '-'}).putLong(future);
    rawBucket(key).set(tombstone.array(), Duration.ofMinutes(5));

    assertThat(acquire(key).token()).isEqualTo(future + 1);
  }

  @Test
  void takeoverKeepsTheCreationTimeAndTheWaitersWatch() throws InterruptedException {
    String key = newKey();
    Duration shortLease = Duration.ofMillis(50);
    store.claim(key, "fp-1", "owner-1", shortLease, TTL);
    IdempotencyRecord first = store.find(key).orElseThrow();
    CountDownLatch woken = new CountDownLatch(1);
    CompletionNotifier.Subscription subscription =
        store.completionNotifier().orElseThrow().subscribe(key, woken::countDown);
    try {
      awaitTrue(() -> rawValue(key)[6] == 1, "record watched");
      Thread.sleep(shortLease.multipliedBy(3).toMillis());

      ClaimResult.Acquired taken = acquireAs(key, "owner-2");

      assertThat(taken.takeover()).isTrue();
      IdempotencyRecord record = store.find(key).orElseThrow();
      assertThat(record.createdAt()).isEqualTo(first.createdAt());
      assertThat(record.owner()).isEqualTo("owner-2");
      assertThat(rawValue(key)[6]).as("watched").isEqualTo((byte) 1);
      assertThat(woken.getCount()).isEqualTo(1);
      assertThat(store.complete(key, taken.token(), VALUE, TTL)).isTrue();
      assertThat(woken.await(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      subscription.close();
    }
  }

  @Test
  void aCompletionIsPublishedOnlyWhenAWaiterWatchesTheRecord() throws InterruptedException {
    RTopic channel = client.getTopic(store.channel(), StringCodec.INSTANCE);
    String unwatched = newKey();
    String watched = newKey();
    Set<String> published = ConcurrentHashMap.newKeySet();
    int listener = channel.addListener(String.class, (name, redisKey) -> published.add(redisKey));
    try {
      long unwatchedToken = acquire(unwatched).token();
      long watchedToken = acquire(watched).token();
      store.completionNotifier().orElseThrow().subscribe(watched, () -> {}).close();
      awaitTrue(() -> rawValue(watched)[6] == 1, "record watched");

      assertThat(store.complete(unwatched, unwatchedToken, VALUE, TTL)).isTrue();
      assertThat(store.complete(watched, watchedToken, VALUE, TTL)).isTrue();

      awaitTrue(() -> published.contains(store.redisKey(watched)), "completion published");
      assertThat(published).doesNotContain(store.redisKey(unwatched));
      assertThat(rawValue(watched)[6]).as("a completed record is not watched").isZero();
    } finally {
      channel.removeListener(listener);
    }
  }

  @Test
  void aWaiterOfAKeyWithNothingInProgressIsWokenAtOnce() throws InterruptedException {
    String completed = newKey();
    assertThat(store.complete(completed, acquire(completed).token(), VALUE, TTL)).isTrue();
    CountDownLatch woken = new CountDownLatch(2);

    CompletionNotifier notifier = store.completionNotifier().orElseThrow();
    try (CompletionNotifier.Subscription a = notifier.subscribe(completed, woken::countDown);
        CompletionNotifier.Subscription b = notifier.subscribe(newKey(), woken::countDown)) {
      assertThat(woken.await(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(rawValue(completed)[6]).isZero();
  }

  @Test
  void recordWithAnUnknownOutcomeKindFailsAsStoreExceptionAndInstantiatesNothing() {
    String key = newKey();
    rawBucket(key)
        .set(
            completedValue((byte) 'J', "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA=="),
            Duration.ofMinutes(5));

    assertThatThrownBy(() -> store.find(key))
        .isInstanceOf(IdempotencyStoreException.class)
        .hasStackTraceContaining("IDEM_CORRUPT_RECORD");
    assertThatThrownBy(() -> acquire(key))
        .isInstanceOf(IdempotencyStoreException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  /**
   * A value the store did not write as it is fails every operation closed: a claim never treats it
   * as absent and acquires (which would run the body), and nothing overwrites it.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("tamperedRecords")
  void tamperedRecordFailsEveryOperationClosedAndIsLeftAlone(String description, byte[] value) {
    String key = newKey();
    rawBucket(key).set(value, Duration.ofMinutes(5));

    assertFailsClosed(() -> store.claim(key, "fp-1", "owner-1", LEASE, TTL), "claim");
    assertFailsClosed(() -> store.claim(key, null, "owner-2", LEASE, TTL), "claim");
    assertFailsClosed(() -> store.find(key), "find");
    assertFailsClosed(() -> store.complete(key, 42, VALUE, TTL), "complete");
    assertFailsClosed(() -> store.release(key, 42), "release");
    assertFailsClosed(() -> store.renew(key, 42, LEASE), "renew");

    assertThat(rawValue(key)).isEqualTo(value);
    assertThat(store.delete(key)).as("an operator can still delete it").isTrue();
    assertThat(acquire(key).takeover()).isFalse();
  }

  static Stream<Arguments> tamperedRecords() {
    byte[] inProgress = inProgressValue("somebody", "fp");
    byte[] completed = completedValue((byte) 'V', "{}");
    return Stream.of(
        arguments("a foreign string", "not a record".getBytes(StandardCharsets.UTF_8)),
        arguments("another format version", with(inProgress, 4, (byte) 2)),
        arguments("an unknown state", with(inProgress, 5, (byte) 'X')),
        arguments("a state in another letter case", with(completed, 5, (byte) 'c')),
        arguments("a watched byte that is neither 0 nor 1", with(inProgress, 6, (byte) 7)),
        arguments("an in-progress record with an outcome kind", with(inProgress, 7, (byte) 'V')),
        arguments("a completed record without an outcome kind", with(completed, 7, (byte) '-')),
        arguments("a header cut short", Arrays.copyOf(inProgress, 20)),
        arguments("an owner longer than the value", with(inProgress, 35, (byte) 100)),
        arguments("an in-progress record with outcome bytes", concat(inProgress, new byte[] {1})),
        arguments("a tombstone with an owner", with(inProgress, 5, (byte) 'R')),
        arguments("a fingerprint cut short", Arrays.copyOf(inProgress, inProgress.length - 1)));
  }

  @Test
  void aRecordWithoutAnExpiryIsNeitherTakenOverNorRead() {
    String key = newKey();
    byte[] value = inProgressValue("somebody", "fp");
    rawBucket(key).set(value);

    assertFailsClosed(() -> store.claim(key, "fp-1", "owner-1", LEASE, TTL), "claim");
    assertFailsClosed(() -> store.find(key), "find");
    assertFailsClosed(() -> store.renew(key, 42, LEASE), "renew");
    assertFailsClosed(() -> store.complete(key, 42, VALUE, TTL), "complete");
    assertThat(rawValue(key)).isEqualTo(value);
    rawBucket(key).delete();
  }

  /** A record of Idem 0.1 (a hash) fails every operation with WRONGTYPE until it is deleted. */
  @Test
  void hashOfVersion01FailsEveryOperationClosedUntilDeleted() {
    String key = newKey();
    RMap<String, String> hash = client.getMap(store.redisKey(key), StringCodec.INSTANCE);
    hash.putAll(Map.of("state", "COMPLETED", "token", "42", "outcome_kind", "VALUE"));
    hash.expire(Duration.ofMinutes(5));

    assertFailsClosed(() -> store.claim(key, "fp-1", "owner-1", LEASE, TTL), "claim");
    assertFailsClosed(() -> store.find(key), "find");
    assertFailsClosed(() -> store.complete(key, 42, VALUE, TTL), "complete");
    assertFailsClosed(() -> store.release(key, 42), "release");
    assertFailsClosed(() -> store.renew(key, 42, LEASE), "renew");
    assertThat(hash.readAllMap()).containsEntry("token", "42");

    assertThat(store.delete(key)).isTrue();
    assertThat(acquire(key).takeover()).isFalse();
  }

  private static void assertFailsClosed(ThrowingCallable call, String operation) {
    assertThatThrownBy(call)
        .as(operation)
        .isInstanceOfSatisfying(
            IdempotencyStoreException.class,
            e -> {
              assertThat(e.store()).isEqualTo("redis");
              assertThat(e.storeOperation()).isEqualTo(operation);
            });
  }

  @Test
  void redisErrorFailsAsStoreExceptionWithDriverCauseAndNoRawKeyInItsMessage() {
    String key = "secret-customer-" + UUID.randomUUID();
    RMap<String, String> hash = client.getMap(store.redisKey(key), StringCodec.INSTANCE);
    hash.put("state", "COMPLETED");
    hash.expire(Duration.ofMinutes(5));

    assertThatThrownBy(() -> store.claim(key, "fp-1", "owner-1", LEASE, TTL))
        .isInstanceOfSatisfying(
            IdempotencyStoreException.class,
            e -> {
              assertThat(e.store()).isEqualTo("redis");
              assertThat(e.storeOperation()).isEqualTo("claim");
              assertThat(e.getMessage()).doesNotContain(key);
              assertThat(e.getCause()).isInstanceOf(RedisException.class);
              assertThat(e.getCause().getMessage()).contains("WRONGTYPE").doesNotContain(key);
            });
  }

  @Test
  void notifierWakesASubscriberOfAnotherStoreInstance() throws InterruptedException {
    try (RedissonIdempotencyStore other =
        RedissonIdempotencyStore.of(RedisTestClients.standaloneSecond())) {
      String key = newKey();
      long token = acquire(key).token();
      CountDownLatch woken = new CountDownLatch(1);
      CompletionNotifier.Subscription subscription =
          other.completionNotifier().orElseThrow().subscribe(key, woken::countDown);
      try {
        assertThat(store.complete(key, token, VALUE, TTL)).isTrue();

        assertThat(woken.await(10, TimeUnit.SECONDS)).isTrue();
      } finally {
        subscription.close();
      }
      assertThat(other.notifier().subscribedKeys()).isZero();
    }
  }

  @Test
  void closeUnsubscribesAndLeavesTheApplicationsClientOpen() throws InterruptedException {
    String prefix = "idem-close-" + UUID.randomUUID() + ":";
    RedissonIdempotencyStore closing =
        RedissonIdempotencyStore.builder().client(client).keyPrefix(prefix).build();
    RTopic channel = client.getTopic(closing.channel(), StringCodec.INSTANCE);
    closing.completionNotifier().orElseThrow().subscribe(newKey(), () -> {});
    assertThat(closing.notifier().isSubscribed()).isTrue();
    assertThat(channel.countListeners()).isEqualTo(1);

    closing.close();
    closing.close();

    awaitTrue(() -> channel.countListeners() == 0, "channel listener removed");
    assertThat(closing.notifier().subscribedKeys()).isZero();
    assertThat(client.isShutdown()).isFalse();
    assertThat(client.getBucket("idem-close-probe:" + UUID.randomUUID()).isExists()).isFalse();
    assertThatThrownBy(() -> closing.find(newKey()))
        .isInstanceOf(IdempotencyStoreException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void storeBuiltFromAUrlOwnsItsClientAndShutsItDown() {
    RedissonIdempotencyStore owning = RedissonIdempotencyStore.fromUrl(TestRedis.standaloneUrl());
    try {
      String key = newKey();
      long token = ((ClaimResult.Acquired) owning.claim(key, null, "owner-1", LEASE, TTL)).token();
      assertThat(owning.complete(key, token, VALUE, TTL)).isTrue();
      assertThat(store.find(key)).get().extracting(IdempotencyRecord::isCompleted).isEqualTo(true);
    } finally {
      owning.close();
    }
    assertThat(owning.client().isShutdown()).isTrue();
  }

  @Test
  void storesWithDifferentPrefixesDoNotShareRecords() {
    RedissonIdempotencyStore other =
        RedissonIdempotencyStore.builder().client(client).keyPrefix("idem-other:").build();
    try {
      String key = newKey();
      acquire(key);

      assertThat(other.claim(key, "fp-1", "owner-2", LEASE, TTL))
          .isInstanceOf(ClaimResult.Acquired.class);
      assertThat(other.redisKey(key)).isNotEqualTo(store.redisKey(key));
    } finally {
      other.close();
    }
  }

  @Test
  void subMillisecondLeaseIsRoundedUpNotDown() {
    String key = newKey();
    store.claim(key, null, "owner-1", Duration.ofNanos(1), TTL);

    IdempotencyRecord record = store.find(key).orElseThrow();
    assertThat(record.leaseUntil()).isAfter(record.createdAt());
  }

  @Test
  void invalidArgumentsAndSettingsAreRejected() {
    assertThatThrownBy(() -> store.claim(newKey(), null, "o", Duration.ZERO, TTL))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.claim(newKey(), null, "o", LEASE, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.renew(newKey(), 1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedissonIdempotencyStore.builder().build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () ->
                RedissonIdempotencyStore.builder()
                    .client(client)
                    .url("redis://127.0.0.1:6379")
                    .build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> RedissonIdempotencyStore.builder().keyPrefix("idem:{x}:"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedissonIdempotencyStore.builder().url("http://localhost:6379"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedissonIdempotencyStore.builder().timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    RedissonClient notRedisson =
        (RedissonClient)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {RedissonClient.class},
                (proxy, method, args) -> null);
    assertThatThrownBy(() -> RedissonIdempotencyStore.builder().client(notRedisson))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Redisson.create");
  }

  private ClaimResult.Acquired acquire(String key) {
    return acquireAs(key, "owner-1");
  }

  private ClaimResult.Acquired acquireAs(String key, String owner) {
    ClaimResult result = store.claim(key, "fp-1", owner, LEASE, TTL);
    assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
    return (ClaimResult.Acquired) result;
  }

  private RBucket<byte[]> rawBucket(String key) {
    return client.getBucket(store.redisKey(key), ByteArrayCodec.INSTANCE);
  }

  private byte[] rawValue(String key) {
    return rawBucket(key).get();
  }

  private Duration remainingTtl(String key) {
    return Duration.ofMillis(client.getKeys().remainTimeToLive(store.redisKey(key)));
  }

  private long expireTime(String key) {
    return rawBucket(key).getExpireTime();
  }

  private static String text(ByteBuffer value, int lengthAt) {
    int length = value.getInt(lengthAt);
    return new String(value.array(), lengthAt + 4, length, StandardCharsets.UTF_8);
  }

  /** An in-progress record of token 42, a one-minute lease and a ten-minute lifetime. */
  private static byte[] inProgressValue(String owner, String fingerprint) {
    return RecordCodec.inProgress(42, 600_000, 540_000, owner, fingerprint);
  }

  /** A completed record of token 42 with the given outcome kind code and outcome text. */
  private static byte[] completedValue(byte kind, String outcome) {
    byte[] inProgress = inProgressValue("somebody", "fp");
    long now = System.currentTimeMillis();
    ByteBuffer header = ByteBuffer.wrap(inProgress.clone());
    header.put(5, (byte) 'C').put(7, kind).putLong(16, now).putLong(24, now + 600_000);
    return concat(header.array(), outcome.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] with(byte[] value, int index, byte replacement) {
    byte[] changed = value.clone();
    changed[index] = replacement;
    return changed;
  }

  private static byte[] concat(byte[] first, byte[] second) {
    byte[] both = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    return both;
  }

  private static String newKey() {
    return "store-test:" + UUID.randomUUID();
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
