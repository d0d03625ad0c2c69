package dev.idem.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotentOperation;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.CompletionNotifier;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.redisson.api.RedissonClient;

/**
 * Two store instances on two Redisson clients, as two JVMs would have, racing for the same keys:
 * {@value #THREADS} threads, {@value #KEYS} keys, every key called by threads of both instances.
 * Exactly one caller acquires (or runs the body of) each key, and every caller of a key ends with
 * the same outcome.
 */
@ExtendWith(RedisTestSupport.class)
class TwoStoreInstancesTest {

  private static final int THREADS = 16;
  private static final int KEYS = 200;
  private static final Duration LEASE = Duration.ofMinutes(10);
  private static final Duration TTL = Duration.ofMinutes(10);
  private static final long WORK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"standalone", "cluster"})
  void storeLevelEveryKeyIsAcquiredOnceAndEveryCallerSeesTheSameOutcome(String topology)
      throws Exception {
    List<RedissonIdempotencyStore> stores = stores(topology);
    try {
      storeLevel(topology, stores);
    } finally {
      stores.forEach(RedissonIdempotencyStore::close);
    }
  }

  private static void storeLevel(String topology, List<RedissonIdempotencyStore> stores)
      throws Exception {
    List<String> keys = keys();
    Map<String, AtomicInteger> acquisitions = counters(keys);
    AtomicInteger[] acquisitionsPerInstance = {new AtomicInteger(), new AtomicInteger()};
    AtomicInteger sawInProgress = new AtomicInteger();
    AtomicInteger sawCompleted = new AtomicInteger();
    Map<String, ConcurrentLinkedQueue<String>> observed = new ConcurrentHashMap<>();
    Map<String, int[]> callersPerInstance = new ConcurrentHashMap<>();

    runOnAllThreads(
        thread -> {
          int instance = thread % 2;
          RedissonIdempotencyStore store = stores.get(instance);
          String owner = "instance-" + instance + "/thread-" + thread;
          for (String key : ordered(keys, thread)) {
            ClaimResult result = store.claim(key, "fp", owner, LEASE, TTL);
            String outcome;
            if (result instanceof ClaimResult.Acquired acquired) {
              acquisitions.get(key).incrementAndGet();
              acquisitionsPerInstance[instance].incrementAndGet();
              LockSupport.parkNanos(WORK_NANOS);
              outcome = "outcome of " + key + " by " + owner;
              Outcome value =
                  Outcome.of(OutcomeKind.VALUE, outcome.getBytes(StandardCharsets.UTF_8));
              assertThat(store.complete(key, acquired.token(), value, TTL)).isTrue();
            } else if (result instanceof ClaimResult.Completed completed) {
              sawCompleted.incrementAndGet();
              outcome = text(completed.record().outcome());
            } else {
              sawInProgress.incrementAndGet();
              outcome =
                  awaitOutcome(store, key, owner, acquisitions, acquisitionsPerInstance, instance);
            }
            observed.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(outcome);
            callersPerInstance.compute(
                key,
                (k, counts) -> {
                  int[] updated = counts == null ? new int[2] : counts;
                  updated[instance]++;
                  return updated;
                });
          }
        });

    int keysWithOneOutcome = 0;
    for (String key : keys) {
      if (new HashSet<>(observed.get(key)).size() == 1 && observed.get(key).size() == THREADS) {
        keysWithOneOutcome++;
      }
    }
    long keysAcquiredOnce = acquisitions.values().stream().filter(c -> c.get() == 1).count();
    System.out.printf(
        "two instances (%s, store level): %d keys x %d callers; keys acquired exactly once: %d;"
            + " acquisitions: instance A %d, instance B %d; claims that saw InProgress %d,"
            + " Completed %d; keys whose %d callers all saw the same outcome: %d%n",
        topology,
        KEYS,
        THREADS,
        keysAcquiredOnce,
        acquisitionsPerInstance[0].get(),
        acquisitionsPerInstance[1].get(),
        sawInProgress.get(),
        sawCompleted.get(),
        THREADS,
        keysWithOneOutcome);
    assertThat(keysAcquiredOnce).isEqualTo(KEYS);
    assertThat(acquisitionsPerInstance[0].get() + acquisitionsPerInstance[1].get()).isEqualTo(KEYS);
    assertThat(callersPerInstance.values())
        .as("callers of each key on instance A and on instance B")
        .allSatisfy(c -> assertThat(c).containsExactly(THREADS / 2, THREADS / 2));
    assertThat(keysWithOneOutcome).isEqualTo(KEYS);
    for (String key : keys) {
      assertThat(observed.get(key).peek()).startsWith("outcome of " + key + " by ");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"standalone", "cluster"})
  void engineLevelEveryBodyRunsOnceAndEveryCallerGetsAnEqualResult(String topology)
      throws Exception {
    List<RedissonIdempotencyStore> stores = stores(topology);
    List<Idempotency> engines = new ArrayList<>();
    List<IdempotentOperation<String>> operations = new ArrayList<>();
    for (RedissonIdempotencyStore store : stores) {
      Idempotency idempotency =
          Idempotency.of(
              IdempotencyConfig.builder().store(store).keyPrefix("two-instances").build());
      engines.add(idempotency);
      operations.add(
          idempotency
              .operation("payments.charge", String.class)
              .lease(LEASE)
              .ttl(TTL)
              .waitTimeout(Duration.ofMinutes(1))
              .build());
    }
    List<String> keys = keys();
    Map<String, AtomicInteger> bodies = counters(keys);
    AtomicInteger[] bodiesPerInstance = {new AtomicInteger(), new AtomicInteger()};
    Map<String, ConcurrentLinkedQueue<String>> results = new ConcurrentHashMap<>();
    try {
      runOnAllThreads(
          thread -> {
            int instance = thread % 2;
            for (String key : ordered(keys, thread)) {
              String result =
                  operations
                      .get(instance)
                      .execute(
                          key,
                          key,
                          () -> {
                            bodies.get(key).incrementAndGet();
                            bodiesPerInstance[instance].incrementAndGet();
                            LockSupport.parkNanos(WORK_NANOS);
                            return "receipt of "
                                + key
                                + " by instance-"
                                + instance
                                + "/thread-"
                                + thread;
                          });
              results.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(result);
            }
          });
    } finally {
      engines.forEach(Idempotency::close);
      stores.forEach(RedissonIdempotencyStore::close);
    }

    long keysRunOnce = bodies.values().stream().filter(c -> c.get() == 1).count();
    int keysWithOneResult = 0;
    for (String key : keys) {
      if (new HashSet<>(results.get(key)).size() == 1 && results.get(key).size() == THREADS) {
        keysWithOneResult++;
      }
    }
    System.out.printf(
        "two instances (%s, engine level): %d keys x %d callers; bodies run: %d"
            + " (instance A %d, instance B %d); keys whose body ran exactly once: %d;"
            + " keys whose %d callers all got an equal result: %d%n",
        topology,
        KEYS,
        THREADS,
        bodiesPerInstance[0].get() + bodiesPerInstance[1].get(),
        bodiesPerInstance[0].get(),
        bodiesPerInstance[1].get(),
        keysRunOnce,
        THREADS,
        keysWithOneResult);
    assertThat(keysRunOnce).isEqualTo(KEYS);
    assertThat(bodiesPerInstance[0].get() + bodiesPerInstance[1].get()).isEqualTo(KEYS);
    assertThat(keysWithOneResult).isEqualTo(KEYS);
  }

  /** Waits for a key held by another caller, woken by the notifier, polling as a fallback. */
  private static String awaitOutcome(
      RedissonIdempotencyStore store,
      String key,
      String owner,
      Map<String, AtomicInteger> acquisitions,
      AtomicInteger[] acquisitionsPerInstance,
      int instance)
      throws InterruptedException {
    Semaphore signal = new Semaphore(0);
    CompletionNotifier.Subscription subscription =
        store.completionNotifier().orElseThrow().subscribe(key, signal::release);
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
      while (System.nanoTime() < deadline) {
        ClaimResult result = store.claim(key, "fp", owner, LEASE, TTL);
        if (result instanceof ClaimResult.Completed completed) {
          return text(completed.record().outcome());
        }
        if (result instanceof ClaimResult.Acquired acquired) {
          // the holder released: impossible here, and counted so that the test fails
          acquisitions.get(key).incrementAndGet();
          acquisitionsPerInstance[instance].incrementAndGet();
          String outcome = "outcome of " + key + " by " + owner;
          store.complete(
              key,
              acquired.token(),
              Outcome.of(OutcomeKind.VALUE, outcome.getBytes(StandardCharsets.UTF_8)),
              TTL);
          return outcome;
        }
        signal.tryAcquire(200, TimeUnit.MILLISECONDS);
      }
      throw new AssertionError("the key was never completed");
    } finally {
      subscription.close();
    }
  }

  private static List<RedissonIdempotencyStore> stores(String topology) {
    RedissonClient first =
        topology.equals("cluster") ? RedisTestClients.cluster() : RedisTestClients.standalone();
    RedissonClient second =
        topology.equals("cluster")
            ? RedisTestClients.clusterSecond()
            : RedisTestClients.standaloneSecond();
    return List.of(RedissonIdempotencyStore.of(first), RedissonIdempotencyStore.of(second));
  }

  private static List<String> keys() {
    String run = UUID.randomUUID().toString();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      keys.add("two-instances:" + run + ":" + i);
    }
    return keys;
  }

  /** The keys in an order that depends on the thread, so that threads collide from both ends. */
  private static List<String> ordered(List<String> keys, int thread) {
    List<String> ordered = new ArrayList<>(keys);
    if ((thread / 2) % 2 == 1) {
      Collections.reverse(ordered);
    }
    return ordered;
  }

  private static Map<String, AtomicInteger> counters(List<String> keys) {
    Map<String, AtomicInteger> counters = new ConcurrentHashMap<>();
    keys.forEach(key -> counters.put(key, new AtomicInteger()));
    return counters;
  }

  private static String text(Outcome outcome) {
    return new String(outcome.unsafeBytes(), StandardCharsets.UTF_8);
  }

  private interface ThreadBody {
    void run(int thread) throws Exception;
  }

  private static void runOnAllThreads(ThreadBody body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  body.run(thread);
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> future : futures) {
        future.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
