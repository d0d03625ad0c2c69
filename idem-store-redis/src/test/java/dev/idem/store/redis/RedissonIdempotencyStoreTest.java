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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.redisson.api.RMap;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;

/**
 * What the Redis store adds to the conformance kit: its record layout, tokens, notifier, life
 * cycle.
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
  void recordIsOneHashWithNamedFieldsThatRedisExpires() {
    String key = newKey();
    long token = acquire(key).token();

    Map<String, String> claimed = rawHash(key);
    assertThat(claimed)
        .containsOnlyKeys(
            "state", "token", "owner", "fingerprint", "lease_until", "created_at", "expires_at")
        .containsEntry("state", "IN_PROGRESS")
        .containsEntry("token", Long.toString(token))
        .containsEntry("owner", "owner-1")
        .containsEntry("fingerprint", "fp-1");
    assertThat(remainingTtl(key)).isBetween(TTL.minusMinutes(1), TTL);

    assertThat(store.complete(key, token, VALUE, TTL.multipliedBy(2))).isTrue();

    Map<String, String> completed = rawHash(key);
    // the completion leaves lease_until (a completed record ignores it: one command less)
    assertThat(completed)
        .containsOnlyKeys(
            "state",
            "token",
            "owner",
            "fingerprint",
            "lease_until",
            "created_at",
            "expires_at",
            "outcome_kind",
            "outcome")
        .containsEntry("state", "COMPLETED")
        .containsEntry("outcome_kind", "VALUE")
        .containsEntry("outcome", "{\"receipt\":\"r-1\"}");
    assertThat(remainingTtl(key))
        .isBetween(TTL.multipliedBy(2).minusMinutes(1), TTL.multipliedBy(2));
    assertThat(
            Long.parseLong(completed.get("expires_at")) - Long.parseLong(claimed.get("created_at")))
        .isBetween(TTL.multipliedBy(2).toMillis(), TTL.multipliedBy(2).plusMinutes(1).toMillis());
  }

  @Test
  void tokenIsRedisTimeInMicrosecondsForAFreshKey() {
    String key = newKey();
    long token = acquire(key).token();

    IdempotencyRecord record = store.find(key).orElseThrow();
    long createdMicros = record.createdAt().toEpochMilli() * 1000;
    assertThat(token).isBetween(createdMicros, createdMicros + 999);
  }

  @Test
  void releaseLeavesATombstoneThatOnlyKeepsTheToken() {
    String key = newKey();
    long first = acquire(key).token();

    assertThat(store.release(key, first)).isTrue();

    assertThat(rawHash(key))
        .containsOnlyKeys("state", "token", "expires_at")
        .containsEntry("state", "RELEASED")
        .containsEntry("token", Long.toString(first));
    assertThat(store.find(key)).isEmpty();
    ClaimResult.Acquired second = acquire(key);
    assertThat(second.takeover()).isFalse();
    assertThat(second.token()).isGreaterThan(first);
    assertThat(rawHash(key)).containsEntry("state", "IN_PROGRESS");
  }

  @Test
  void tokenGrowsFromTheStoredTokenWhenItIsAheadOfTheRedisClock() {
    String key = newKey();
    long future = (System.currentTimeMillis() + Duration.ofDays(365).toMillis()) * 1000;
    RMap<String, String> hash = rawMap(key);
    hash.putAll(Map.of("state", "RELEASED", "token", Long.toString(future)));
    hash.expire(Duration.ofMinutes(5));

    assertThat(acquire(key).token()).isEqualTo(future + 1);
  }

  @Test
  void recordPastItsExpiryIsAbsentEvenBeforeRedisEvictsIt() {
    String key = newKey();
    long now = System.currentTimeMillis();
    RMap<String, String> hash = rawMap(key);
    hash.putAll(
        Map.of(
            "state", "COMPLETED",
            "token", Long.toString(now * 1000 - 5_000_000),
            "owner", "somebody",
            "created_at", Long.toString(now - 60_000),
            "expires_at", Long.toString(now - 1_000),
            "outcome_kind", "VALUE",
            "outcome", "old"));
    hash.expire(Duration.ofMinutes(5));

    assertThat(store.find(key)).isEmpty();
    assertThat(store.complete(key, now * 1000 - 5_000_000, VALUE, TTL)).isFalse();
    ClaimResult.Acquired acquired = acquire(key);
    assertThat(acquired.takeover()).isFalse();
    assertThat(rawHash(key)).doesNotContainKeys("outcome", "outcome_kind");
  }

  @Test
  void unreadableRecordFailsAsStoreExceptionAndInstantiatesNothing() {
    String key = newKey();
    RMap<String, String> hash = rawMap(key);
    hash.putAll(
        Map.of(
            "state", "COMPLETED",
            "token", "42",
            "owner", "somebody",
            "created_at", Long.toString(System.currentTimeMillis()),
            "expires_at", Long.toString(System.currentTimeMillis() + 60_000),
            "outcome_kind", "java.lang.ProcessBuilder",
            "outcome", "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA=="));
    hash.expire(Duration.ofMinutes(5));

    assertThatThrownBy(() -> store.find(key))
        .isInstanceOf(IdempotencyStoreException.class)
        .hasCauseInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> acquire(key)).isInstanceOf(IdempotencyStoreException.class);
  }

  /**
   * A hash the store did not write as it is (a state it does not know, no state, or a token, lease
   * or expiry that is not a number) fails every operation closed: a claim never treats it as absent
   * and acquires (which would run the body), and nothing overwrites it.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("tamperedRecords")
  void tamperedRecordFailsEveryOperationClosedAndIsLeftAlone(
      String description, Map<String, String> fields) {
    String key = newKey();
    RMap<String, String> hash = rawMap(key);
    hash.putAll(fields);
    hash.expire(Duration.ofMinutes(5));

    assertFailsClosed(() -> store.claim(key, "fp-1", "owner-1", LEASE, TTL), "claim");
    assertFailsClosed(() -> store.claim(key, null, "owner-2", LEASE, TTL), "claim");
    assertFailsClosed(() -> store.find(key), "find");
    assertFailsClosed(() -> store.complete(key, 42, VALUE, TTL), "complete");
    assertFailsClosed(() -> store.release(key, 42), "release");
    assertFailsClosed(() -> store.renew(key, 42, LEASE), "renew");

    assertThat(rawHash(key)).isEqualTo(fields);
  }

  static Stream<Arguments> tamperedRecords() {
    long now = System.currentTimeMillis();
    String created = Long.toString(now);
    String expires = Long.toString(now + 600_000);
    String lease = Long.toString(now + 60_000);
    return Stream.of(
        arguments(
            "an unknown state",
            Map.of(
                "state",
                "BOGUS",
                "token",
                "42",
                "owner",
                "somebody",
                "lease_until",
                lease,
                "created_at",
                created,
                "expires_at",
                expires)),
        arguments(
            "a state in another letter case",
            Map.of(
                "state", "completed",
                "token", "42",
                "owner", "somebody",
                "created_at", created,
                "expires_at", expires,
                "outcome_kind", "VALUE",
                "outcome", "{}")),
        arguments(
            "no state",
            Map.of(
                "token", "42",
                "owner", "somebody",
                "lease_until", lease,
                "created_at", created,
                "expires_at", expires)),
        arguments("only fields the store never writes", Map.of("payload", "x")),
        arguments(
            "an expiry that is not a number",
            Map.of(
                "state", "COMPLETED",
                "token", "42",
                "owner", "somebody",
                "created_at", created,
                "expires_at", "never",
                "outcome_kind", "VALUE",
                "outcome", "{}")),
        arguments(
            "an in-progress record without a lease",
            Map.of(
                "state", "IN_PROGRESS",
                "token", "42",
                "owner", "somebody",
                "created_at", created,
                "expires_at", expires)),
        arguments(
            "a token that is not a number",
            Map.of(
                "state",
                "IN_PROGRESS",
                "token",
                "42x",
                "owner",
                "somebody",
                "lease_until",
                lease,
                "created_at",
                created,
                "expires_at",
                expires)),
        arguments("a tombstone without a token", Map.of("state", "RELEASED")));
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
    client
        .getBucket(store.redisKey(key), StringCodec.INSTANCE)
        .set("not a hash", Duration.ofMinutes(5));

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
  }

  private ClaimResult.Acquired acquire(String key) {
    ClaimResult result = store.claim(key, "fp-1", "owner-1", LEASE, TTL);
    assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
    return (ClaimResult.Acquired) result;
  }

  private RMap<String, String> rawMap(String key) {
    return client.getMap(store.redisKey(key), StringCodec.INSTANCE);
  }

  private Map<String, String> rawHash(String key) {
    return rawMap(key).readAllMap();
  }

  private Duration remainingTtl(String key) {
    return Duration.ofMillis(client.getKeys().remainTimeToLive(store.redisKey(key)));
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
