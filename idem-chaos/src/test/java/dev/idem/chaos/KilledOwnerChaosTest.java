package dev.idem.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyStoreException;
import dev.idem.IdempotentOperation;
import dev.idem.annotation.OnInProgress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Scenario 3, a killed owner: a worker JVM claims {@value #KEYS} keys and runs long bodies, its
 * lease renewed in the background, while {@value #RETRIERS} retriers per key in this JVM call every
 * key again and again (REJECT: a 409 while the lease lives). After {@value #LEASES_ALIVE} leases
 * the worker is killed with {@code kill -9}, either anywhere in the bodies or just as a renewal
 * leaves (the worker prints {@code RENEWING} and holds the renewal's reply back after the store
 * applied it). Each key must then be taken over exactly once, never before the owner's death was
 * confirmed, every retrier of a key must get the takeover's value, and a later retry must replay
 * it.
 */
@Tag("chaos")
class KilledOwnerChaosTest {

  static final int KEYS = 4;
  static final int RETRIERS = 2;
  static final int LEASES_ALIVE = 2;
  static final Duration LEASE = Duration.ofSeconds(3);

  @ParameterizedTest(name = "{0}, killed {1}")
  @CsvSource({
    "REDIS, mid-body",
    "REDIS, during renewal",
    "POSTGRES, mid-body",
    "POSTGRES, during renewal"
  })
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void retryTakesOverExactlyOnceAndNeverWhileTheOwnerLives(Backend backend, String when)
      throws Exception {
    long start = System.nanoTime();
    boolean duringRenewal = when.contains("renewal");
    String run =
        ChaosServers.run("killed-" + backend.name().toLowerCase() + (duringRenewal ? "-r" : "-b"));
    Ledger ledger = ChaosServers.ledger();
    List<String> keys = Backend.keys(run, KEYS);
    ExecutorService pool = Executors.newFixedThreadPool(KEYS * RETRIERS);
    AtomicBoolean stop = new AtomicBoolean();
    WorkerProcess owner = null;
    try (Backend.Opened opened = backend.open(run)) {
      List<Object> extra =
          new ArrayList<>(
              List.of(
                  "--keys",
                  String.join(",", keys),
                  "--lease-ms",
                  LEASE.toMillis(),
                  "--body-ms",
                  600_000));
      if (duringRenewal) {
        extra.addAll(List.of("--renew-marker", "true", "--renew-hold-ms", 150));
      }
      owner =
          WorkerProcess.start(run + "-owner", Backend.args("hold", backend, run, extra.toArray()));
      owner.awaitPrefix("READY", 120_000);
      owner.send("GO");
      for (String key : keys) {
        owner.awaitPrefix("EXEC " + key + " ", 60_000);
      }

      Idempotency idem = Backend.idempotency(opened.store(), "retrier", LEASE, OnInProgress.REJECT);
      IdempotentOperation<String> op = idem.operation("chaos.hold", String.class).build();
      Map<String, Long> ranAt = new ConcurrentHashMap<>();
      AtomicInteger rejected = new AtomicInteger();
      List<Future<String>> retries = new ArrayList<>();
      List<String> retryKeys = new ArrayList<>();
      for (String key : keys) {
        for (int r = 0; r < RETRIERS; r++) {
          retryKeys.add(key);
          retries.add(
              pool.submit(
                  () -> {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    while (!stop.get() && System.nanoTime() < deadline) {
                      try {
                        return op.execute(
                            key,
                            key,
                            () -> {
                              ranAt.put(key, System.currentTimeMillis());
                              ledger.executed(run, key, "retrier");
                              return "retrier/" + key + "/" + System.nanoTime();
                            });
                      } catch (IdempotencyInProgressException | IdempotencyStoreException e) {
                        rejected.incrementAndGet();
                        Thread.sleep(100);
                      }
                    }
                    return "gave up";
                  }));
        }
      }
      Thread.sleep(LEASES_ALIVE * LEASE.toMillis());
      if (duringRenewal) {
        // kill as the next renewal leaves: between its RENEWING line and its (held back) reply
        int seen = owner.lines("RENEWING ").size();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (owner.lines("RENEWING ").size() <= seen && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
      }
      Set<String> ranBeforeKill = new HashSet<>(ranAt.keySet());
      long diedAt = owner.kill9();

      List<String> problems = new ArrayList<>();
      if (!ranBeforeKill.isEmpty()) {
        problems.add("retries ran while the owner lived: " + ranBeforeKill);
      }
      Map<String, Set<String>> values = new ConcurrentHashMap<>();
      for (int i = 0; i < retries.size(); i++) {
        values
            .computeIfAbsent(retryKeys.get(i), k -> ConcurrentHashMap.newKeySet())
            .add(retries.get(i).get(120, TimeUnit.SECONDS));
      }
      int executions = 0;
      for (String key : keys) {
        List<String> entries = ledger.entries(run, key);
        executions += entries.size();
        if (entries.size() != 2 || !entries.get(0).startsWith(owner.name() + "@")) {
          problems.add(key + " ran " + entries + ", expected the owner and one takeover");
        }
        Long at = ranAt.get(key);
        if (at == null || at < diedAt) {
          problems.add(
              key + ": the takeover ran at " + at + ", before the owner died at " + diedAt);
        }
        if (values.get(key).size() != 1
            || !values.get(key).iterator().next().startsWith("retrier/")) {
          problems.add(key + ": retriers got " + values.get(key));
        } else if (!op.execute(key, key, () -> "ran again")
            .equals(values.get(key).iterator().next())) {
          problems.add(key + ": a later retry did not replay the takeover's value");
        }
        if (ledger.executions(run, key) != 2) {
          problems.add(key + ": the later retry ran the body");
        }
      }
      idem.close();
      Figures figures =
          new Figures(
                  "3 kill -9 " + when + ", " + backend.name().toLowerCase(),
                  KEYS,
                  executions,
                  2 * KEYS,
                  problems.size(),
                  "owner alive "
                      + LEASES_ALIVE
                      + " leases of "
                      + LEASE.toMillis()
                      + " ms under "
                      + rejected.get()
                      + " rejected retries; 2 runs per key: the killed owner and one takeover",
                  Backend.since(start) / 1000.0)
              .print();
      assertThat(problems).as("violations").isEmpty();
      assertThat(figures.passed()).isTrue();
    } finally {
      stop.set(true);
      pool.shutdownNow();
      if (owner != null) {
        owner.close();
      }
    }
  }
}
