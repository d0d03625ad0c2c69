package dev.idem.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import dev.idem.test.servers.RawRedis;
import dev.idem.test.servers.TestRedis;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RBucket;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.ByteArrayCodec;

/**
 * The store on a real 3-master Redis Cluster: slots, redirects during a slot migration, pub/sub.
 */
@ExtendWith(RedisTestSupport.class)
class RedisClusterTest {

  private static final Duration LEASE = Duration.ofMinutes(1);
  private static final Duration TTL = Duration.ofHours(1);
  private static final Outcome VALUE =
      Outcome.of(OutcomeKind.VALUE, "\"receipt\"".getBytes(StandardCharsets.UTF_8));

  private final RedissonIdempotencyStore store = RedisTestClients.clusterStore();

  @Test
  void recordsAreSpreadOverEveryMaster() {
    List<Master> masters = masters();
    assertThat(masters).hasSize(3);
    Set<String> used = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      String key = newKey();
      acquire(store, key);
      int slot = slotOf(store.redisKey(key));
      masters.stream().filter(m -> m.owns(slot)).forEach(m -> used.add(m.id()));
      assertThat(RawRedis.call(ownerOf(masters, slot).address(), "EXISTS", store.redisKey(key)))
          .isEqualTo(1L);
    }
    assertThat(used).hasSize(3);
  }

  @Test
  void survivesAskAndMovedRedirectsWhileASlotMigrates() throws Exception {
    RedissonClient staleClient = RedisTestClients.newClusterClient(3_600_000);
    try (RedissonIdempotencyStore stale = RedissonIdempotencyStore.of(staleClient)) {
      List<Master> masters = masters();
      String completedKey = newKey();
      assertThat(stale.complete(completedKey, acquire(stale, completedKey), VALUE, TTL)).isTrue();
      String completedRedisKey = stale.redisKey(completedKey);
      int slot = slotOf(completedRedisKey);
      assertThat(Crc16.slot(completedRedisKey)).as("local CRC16 agrees with Redis").isEqualTo(slot);
      Master source = ownerOf(masters, slot);
      Master target = masters.stream().filter(m -> m != source).findFirst().orElseThrow();
      String newKey = keyInSlot(stale, slot);
      RawRedis.call(source.address(), "CONFIG", "RESETSTAT");
      RawRedis.call(target.address(), "CONFIG", "RESETSTAT");
      // the target has never run the scripts: those run below must be loaded there
      RawRedis.call(target.address(), "SCRIPT", "FLUSH");

      RawRedis.call(
          target.address(), "CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", source.id());
      RawRedis.call(
          source.address(), "CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", target.id());
      boolean migrated = false;
      try {
        // absent from the migrating source: ASK to the importing target
        long newToken = acquire(stale, newKey);
        // present on the source: served there
        assertThat(stale.find(completedKey))
            .get()
            .extracting(IdempotencyRecord::state)
            .isEqualTo(RecordState.COMPLETED);

        RawRedis.call(
            source.address(),
            "MIGRATE",
            "127.0.0.1",
            Integer.toString(target.port()),
            "",
            "0",
            "5000",
            "KEYS",
            completedRedisKey);
        for (Master master : List.of(target, source)) {
          RawRedis.call(
              master.address(), "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", target.id());
        }
        for (Master master : masters) {
          if (master != source && master != target) {
            RawRedis.call(
                master.address(),
                "CLUSTER",
                "SETSLOT",
                Integer.toString(slot),
                "NODE",
                target.id());
          }
        }
        migrated = true;

        // the client still maps the slot to the source: MOVED to the target
        IdempotencyRecord moved = stale.find(completedKey).orElseThrow();
        assertThat(moved.state()).isEqualTo(RecordState.COMPLETED);
        assertThat(moved.outcome()).isEqualTo(VALUE);
        assertThat(stale.claim(newKey, "fp", "other", LEASE, TTL))
            .isInstanceOf(ClaimResult.InProgress.class);
        assertThat(stale.complete(newKey, newToken, VALUE, TTL)).isTrue();
        assertThat(store.find(newKey))
            .get()
            .extracting(IdempotencyRecord::isCompleted)
            .isEqualTo(true);
        assertThat(
                RawRedis.call(
                    target.address(), "EXISTS", completedRedisKey, stale.redisKey(newKey)))
            .isEqualTo(2L);

        String sourceErrors = String.valueOf(RawRedis.call(source.address(), "INFO", "errorstats"));
        long ask = errors(sourceErrors, "ASK");
        long moves = errors(sourceErrors, "MOVED");
        System.out.printf(
            "slot %d migrated %s -> %s: the source answered ASK %d times and MOVED %d times%n",
            slot, source.address(), target.address(), ask, moves);
        assertThat(ask).as("ASK redirects followed").isPositive();
        assertThat(moves).as("MOVED redirects followed").isPositive();
      } finally {
        if (!migrated) {
          // leave no half-migrated slot behind for the other tests on this cluster
          for (Master master : List.of(source, target)) {
            RawRedis.call(master.address(), "CLUSTER", "SETSLOT", Integer.toString(slot), "STABLE");
          }
        }
      }
    }
  }

  @Test
  void completionsOnAnyMasterWakeSubscribersOfAnotherClient() throws InterruptedException {
    try (RedissonIdempotencyStore other =
        RedissonIdempotencyStore.of(RedisTestClients.clusterSecond())) {
      List<String> keys = new ArrayList<>();
      List<CountDownLatch> latches = new ArrayList<>();
      List<CompletionNotifier.Subscription> subscriptions = new ArrayList<>();
      Set<String> mastersUsed = new HashSet<>();
      List<Master> masters = masters();
      long[] tokens = new long[30];
      for (int i = 0; i < tokens.length; i++) {
        String key = newKey();
        keys.add(key);
        mastersUsed.add(ownerOf(masters, slotOf(store.redisKey(key))).id());
        tokens[i] = acquire(store, key);
      }
      for (String key : keys) {
        CountDownLatch latch = new CountDownLatch(1);
        latches.add(latch);
        subscriptions.add(
            other.completionNotifier().orElseThrow().subscribe(key, latch::countDown));
      }
      try {
        // each waiter's mark is on its record before the completion: the wake-up is a message
        for (String key : keys) {
          RBucket<byte[]> record =
              RedisTestClients.cluster().getBucket(store.redisKey(key), ByteArrayCodec.INSTANCE);
          RedissonIdempotencyStoreTest.awaitTrue(() -> record.get()[6] == 1, "record watched");
        }
        for (int i = 0; i < keys.size(); i++) {
          if (i % 2 == 0) {
            assertThat(store.complete(keys.get(i), tokens[i], VALUE, TTL)).isTrue();
          } else {
            assertThat(store.release(keys.get(i), tokens[i])).isTrue();
          }
        }
        int woken = 0;
        for (CountDownLatch latch : latches) {
          if (latch.await(10, TimeUnit.SECONDS)) {
            woken++;
          }
        }
        System.out.printf(
            "cluster pub/sub: %d of %d subscribers woken, keys on %d masters%n",
            woken, keys.size(), mastersUsed.size());
        assertThat(woken).isEqualTo(keys.size());
        assertThat(mastersUsed).hasSize(3);
      } finally {
        subscriptions.forEach(CompletionNotifier.Subscription::close);
      }
    }
  }

  private static long acquire(RedissonIdempotencyStore store, String key) {
    ClaimResult result = store.claim(key, "fp", "owner", LEASE, TTL);
    assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
    return ((ClaimResult.Acquired) result).token();
  }

  private static String keyInSlot(RedissonIdempotencyStore store, int slot) {
    String base = "cluster-test:" + UUID.randomUUID() + ":";
    for (int i = 0; ; i++) {
      if (Crc16.slot(store.redisKey(base + i)) == slot) {
        return base + i;
      }
    }
  }

  private static int slotOf(String redisKey) {
    Object slot = RawRedis.call(TestRedis.clusterNodes().get(0), "CLUSTER", "KEYSLOT", redisKey);
    return Math.toIntExact((Long) slot);
  }

  private static long errors(String errorStats, String prefix) {
    String line = RawRedis.infoField(errorStats, "errorstat_" + prefix);
    return line == null ? 0 : Long.parseLong(line.substring(line.indexOf("count=") + 6).trim());
  }

  private static Master ownerOf(List<Master> masters, int slot) {
    return masters.stream().filter(m -> m.owns(slot)).findFirst().orElseThrow();
  }

  /** The masters and their slot ranges, from {@code CLUSTER NODES} of the first node. */
  private static List<Master> masters() {
    String nodes =
        String.valueOf(RawRedis.call(TestRedis.clusterNodes().get(0), "CLUSTER", "NODES"));
    List<Master> masters = new ArrayList<>();
    for (String line : nodes.split("\n")) {
      String[] fields = line.trim().split(" ");
      if (fields.length < 8 || !fields[2].contains("master")) {
        continue;
      }
      String address = fields[1].substring(0, fields[1].indexOf('@'));
      List<int[]> ranges = new ArrayList<>();
      for (int i = 8; i < fields.length; i++) {
        if (fields[i].startsWith("[")) {
          continue; // a migration in progress
        }
        String[] bounds = fields[i].split("-");
        int from = Integer.parseInt(bounds[0]);
        ranges.add(new int[] {from, bounds.length > 1 ? Integer.parseInt(bounds[1]) : from});
      }
      masters.add(new Master(fields[0], address, ranges));
    }
    return masters;
  }

  private static String newKey() {
    return "cluster-test:" + UUID.randomUUID();
  }

  private record Master(String id, String address, List<int[]> slots) {
    boolean owns(int slot) {
      return slots.stream().anyMatch(r -> slot >= r[0] && slot <= r[1]);
    }

    int port() {
      return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }
  }

  /** The Redis Cluster key slot: CRC16/XMODEM of the hash tag (or of the whole key), mod 16384. */
  static final class Crc16 {
    private Crc16() {}

    static int slot(String key) {
      byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
      int from = 0;
      int to = bytes.length;
      int open = indexOf(bytes, (byte) '{', 0);
      if (open >= 0) {
        int close = indexOf(bytes, (byte) '}', open + 1);
        if (close > open + 1) {
          from = open + 1;
          to = close;
        }
      }
      return crc(bytes, from, to) & 0x3FFF;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
      for (int i = from; i < bytes.length; i++) {
        if (bytes[i] == b) {
          return i;
        }
      }
      return -1;
    }

    private static int crc(byte[] bytes, int from, int to) {
      int crc = 0;
      for (int i = from; i < to; i++) {
        crc ^= (bytes[i] & 0xFF) << 8;
        for (int bit = 0; bit < 8; bit++) {
          crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
        }
      }
      return crc & 0xFFFF;
    }
  }
}
