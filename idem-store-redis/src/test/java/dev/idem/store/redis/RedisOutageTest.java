package dev.idem.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyStoreException;
import dev.idem.IdempotentOperation;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.test.servers.RawRedis;
import dev.idem.test.servers.RedisServerProcess;
import dev.idem.test.servers.TestRedis;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The store against a private Redis server that the tests kill, restart and flush: fail-closed
 * claims during an outage, recovery of the same store object, and one command per operation. The
 * shared server on 6379 is never touched.
 */
@ExtendWith(RedisTestSupport.class)
class RedisOutageTest {

  private static final Duration LEASE = Duration.ofMinutes(1);
  private static final Duration TTL = Duration.ofHours(1);
  private static final Outcome VALUE =
      Outcome.of(OutcomeKind.VALUE, "\"done\"".getBytes(StandardCharsets.UTF_8));
  private static final int CALLS_DURING_OUTAGE = 10;

  private static RedisServerProcess server;
  private static RedissonIdempotencyStore store;

  @BeforeAll
  static void startPrivateServer() {
    server = TestRedis.startServer();
    store = RedissonIdempotencyStore.fromUrl(server.url());
  }

  @AfterAll
  static void stopPrivateServer() {
    store.close();
    server.close();
  }

  @Test
  void claimsFailFastWhileRedisIsDownAndTheSameStoreWorksAfterARestart() throws Exception {
    String before = newKey();
    assertThat(store.complete(before, acquire(before), VALUE, TTL)).isTrue();
    Idempotency idempotency = Idempotency.of(IdempotencyConfig.builder().store(store).build());
    IdempotentOperation<String> operation =
        idempotency.operation("outage.test", String.class).build();
    AtomicInteger bodies = new AtomicInteger();
    // the channel subscription exists before the outage: Redisson must restore it afterwards
    store.completionNotifier().orElseThrow().subscribe(before, () -> {}).close();
    assertThat(store.notifier().isSubscribed()).isTrue();

    server.kill();

    int storeFailures = 0;
    int acquisitions = 0;
    long slowestMillis = 0;
    for (int i = 0; i < CALLS_DURING_OUTAGE; i++) {
      long start = System.nanoTime();
      try {
        if (store.claim(newKey(), null, "owner", LEASE, TTL) instanceof ClaimResult.Acquired) {
          acquisitions++;
        }
      } catch (IdempotencyStoreException e) {
        assertThat(e.storeOperation()).isEqualTo("claim");
        assertThat(e.getCause()).isNotNull();
        storeFailures++;
      }
      slowestMillis =
          Math.max(slowestMillis, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }
    int engineFailures = 0;
    for (int i = 0; i < CALLS_DURING_OUTAGE; i++) {
      long start = System.nanoTime();
      try {
        operation.execute(newKey(), null, () -> "ran-" + bodies.incrementAndGet());
      } catch (IdempotencyStoreException e) {
        engineFailures++;
      }
      slowestMillis =
          Math.max(slowestMillis, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }
    assertThatThrownBy(() -> store.find(before)).isInstanceOf(IdempotencyStoreException.class);
    assertThatThrownBy(() -> store.complete(before, 1, VALUE, TTL))
        .isInstanceOf(IdempotencyStoreException.class);
    System.out.printf(
        "outage: %d/%d store claims failed with IdempotencyStoreException, %d acquired;"
            + " %d/%d engine calls failed, %d bodies ran; slowest failure %d ms%n",
        storeFailures,
        CALLS_DURING_OUTAGE,
        acquisitions,
        engineFailures,
        CALLS_DURING_OUTAGE,
        bodies.get(),
        slowestMillis);
    assertThat(storeFailures).isEqualTo(CALLS_DURING_OUTAGE);
    assertThat(acquisitions).isZero();
    assertThat(engineFailures).isEqualTo(CALLS_DURING_OUTAGE);
    assertThat(bodies).hasValue(0);
    assertThat(slowestMillis).as("a failure takes about the client timeout").isLessThan(5_000);

    server.restart();

    int attemptsUntilRecovered = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String after = newKey();
    Long token = null;
    while (token == null) {
      attemptsUntilRecovered++;
      try {
        token = acquire(after);
      } catch (IdempotencyStoreException e) {
        assertThat(System.nanoTime()).as("store recovered in time").isLessThan(deadline);
        Thread.sleep(50);
      }
    }
    System.out.printf(
        "outage: the same store worked again after %d attempts%n", attemptsUntilRecovered);
    assertThat(store.find(before)).as("the restarted server has no persistence").isEmpty();
    RedisOutageTest.awaitResubscribed(store.channel());
    CountDownLatch woken = new CountDownLatch(1);
    CompletionNotifier.Subscription subscription =
        store.completionNotifier().orElseThrow().subscribe(after, woken::countDown);
    try {
      assertThat(store.complete(after, token, VALUE, TTL)).isTrue();
      assertThat(woken.await(10, TimeUnit.SECONDS)).as("notified after resubscription").isTrue();
    } finally {
      subscription.close();
    }
    assertThat(operation.execute(newKey(), null, () -> "ran-" + bodies.incrementAndGet()))
        .isEqualTo("ran-1");
    idempotency.close();
  }

  @Test
  void claimIsOneSetOtherOperationsOneEvalshaAndScriptsAreReloadedAfterAFlush() {
    String warm = newKey();
    store.release(warm, acquire(warm));
    RawRedis.call(server.address(), "SCRIPT", "FLUSH");
    RawRedis.call(server.address(), "CONFIG", "RESETSTAT");

    String key = newKey();
    long token = acquire(key); // SET
    assertThat(store.renew(key, token, LEASE)).isTrue(); // NOSCRIPT, SCRIPT LOAD, EVALSHA
    assertThat(store.complete(key, token, VALUE, TTL)).isTrue(); // NOSCRIPT, SCRIPT LOAD, EVALSHA
    assertThat(store.find(key)).isPresent(); // NOSCRIPT, SCRIPT LOAD, EVALSHA
    assertThat(store.release(key, token)).isFalse(); // NOSCRIPT, SCRIPT LOAD, EVALSHA
    String info = String.valueOf(RawRedis.call(server.address(), "INFO", "commandstats"));
    assertThat(calls(info, "cmdstat_script|load")).isEqualTo(4);
    assertThat(calls(info, "cmdstat_evalsha")).isEqualTo(8);

    RawRedis.call(server.address(), "CONFIG", "RESETSTAT");
    String other = newKey();
    long otherToken = acquire(other);
    store.renew(other, otherToken, LEASE);
    store.complete(other, otherToken, VALUE, TTL);
    store.find(other);
    store.release(other, otherToken);
    assertThat(store.claim(other, null, "owner", LEASE, TTL))
        .isInstanceOf(ClaimResult.Completed.class);
    info = String.valueOf(RawRedis.call(server.address(), "INFO", "commandstats"));
    System.out.println(
        "commands for claim, renew, complete, find, release, replay: " + commandCounts(info));
    assertThat(calls(info, "cmdstat_evalsha")).as("renew, complete, find, release").isEqualTo(4);
    // the claim and the replay, and the SET inside the renew and complete scripts
    assertThat(calls(info, "cmdstat_set")).isEqualTo(4);
    assertThat(calls(info, "cmdstat_publish")).as("nobody waited").isZero();
    assertThat(calls(info, "cmdstat_script|load")).isZero();
    assertThat(calls(info, "cmdstat_eval")).isZero();
  }

  /** Waits until Redisson has subscribed to the channel again on the restarted server. */
  private static void awaitResubscribed(String channel) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Long.valueOf(1).equals(numberOfSubscribers(channel))) {
      assertThat(System.nanoTime()).as("channel subscribed again").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static Object numberOfSubscribers(String channel) {
    java.util.List<?> reply =
        (java.util.List<?>) RawRedis.call(server.address(), "PUBSUB", "NUMSUB", channel);
    return reply.get(1);
  }

  private static long acquire(String key) {
    ClaimResult result = store.claim(key, null, "owner", LEASE, TTL);
    assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
    return ((ClaimResult.Acquired) result).token();
  }

  /** Returns the {@code calls=} count of one command in {@code INFO commandstats}, 0 if absent. */
  private static long calls(String info, String command) {
    String line = RawRedis.infoField(info, command);
    if (line == null) {
      return 0;
    }
    String calls = line.substring(line.indexOf("calls=") + 6);
    return Long.parseLong(calls.substring(0, calls.indexOf(',')));
  }

  private static String commandCounts(String info) {
    StringBuilder counts = new StringBuilder();
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("cmdstat_")) {
        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
        String calls = line.substring(line.indexOf("calls=") + 6);
        counts.append(name).append('=').append(calls, 0, calls.indexOf(',')).append(' ');
      }
    }
    return counts.toString().strip();
  }

  private static String newKey() {
    return "outage:" + UUID.randomUUID();
  }
}
