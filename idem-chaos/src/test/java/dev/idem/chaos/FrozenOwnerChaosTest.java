package dev.idem.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotentOperation;
import dev.idem.annotation.OnInProgress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Scenario 2, a frozen owner: a worker JVM claims {@value #KEYS} keys and is frozen ({@code kill
 * -STOP}) in the middle of their bodies, past its lease; this JVM retries each key, takes it over
 * and completes it; the worker is then thawed ({@code kill -CONT}). Its completions must be refused
 * by fencing and each of its callers must get the new owner's value (the worker prints it), each
 * key must have run exactly twice (the frozen owner and one takeover), and a later retry must
 * replay the takeover's value without running.
 */
@Tag("chaos")
class FrozenOwnerChaosTest {

  static final int KEYS = 4;
  static final Duration LEASE = Duration.ofMillis(1500);
  static final long BODY_MILLIS = 3_000;

  @ParameterizedTest
  @EnumSource(Backend.class)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void frozenOwnersCompletionIsFencedAndItsCallerGetsTheWinnersValue(Backend backend)
      throws Exception {
    long start = System.nanoTime();
    String run = ChaosServers.run("frozen-" + backend.name().toLowerCase());
    Ledger ledger = ChaosServers.ledger();
    List<String> keys = Backend.keys(run, KEYS);
    ExecutorService pool = Executors.newFixedThreadPool(KEYS);
    WorkerProcess owner = null;
    try (Backend.Opened opened = backend.open(run)) {
      owner =
          WorkerProcess.start(
              run + "-owner",
              Backend.args(
                  "hold",
                  backend,
                  run,
                  "--keys",
                  String.join(",", keys),
                  "--lease-ms",
                  LEASE.toMillis(),
                  "--body-ms",
                  BODY_MILLIS));
      owner.awaitPrefix("READY", 120_000);
      owner.send("GO");
      for (String key : keys) {
        owner.awaitPrefix("EXEC " + key + " ", 60_000);
      }
      owner.stop();
      long frozenAt = System.currentTimeMillis();

      Idempotency idem = Backend.idempotency(opened.store(), "retrier", LEASE, OnInProgress.WAIT);
      IdempotentOperation<String> op = idem.operation("chaos.hold", String.class).build();
      Map<String, Future<String>> retries = new HashMap<>();
      for (String key : keys) {
        retries.put(
            key,
            pool.submit(
                () ->
                    op.execute(
                        key,
                        key,
                        () -> {
                          ledger.executed(run, key, "retrier");
                          return "retrier/" + key + "/" + System.nanoTime();
                        })));
      }
      Map<String, String> winners = new HashMap<>();
      for (String key : keys) {
        winners.put(key, retries.get(key).get(60, TimeUnit.SECONDS));
      }
      // frozen well past its lease, whenever the lease was last renewed before the freeze
      long thawAt = frozenAt + 2 * LEASE.toMillis();
      while (System.currentTimeMillis() < thawAt) {
        Thread.sleep(10);
      }
      long frozenFor = System.currentTimeMillis() - frozenAt;
      owner.resume();
      owner.awaitPrefix("DONE", 120_000);

      List<String> problems = new ArrayList<>();
      int executions = 0;
      for (String key : keys) {
        List<String> entries = ledger.entries(run, key);
        executions += entries.size();
        if (entries.size() != 2
            || !entries.get(0).startsWith(owner.name() + "@")
            || !entries.get(1).startsWith("retrier@")) {
          problems.add(key + " ran " + entries + ", expected the owner, then one takeover");
        }
        if (!winners.get(key).startsWith("retrier/")) {
          problems.add(key + ": the takeover returned " + winners.get(key));
        }
        String got =
            owner.lines("RESULT " + key + " ").stream()
                .map(Backend::resultValue)
                .findFirst()
                .orElse("nothing: " + owner.lines("ERROR " + key + " "));
        if (!got.equals(winners.get(key))) {
          problems.add(
              key + ": the frozen owner's caller got " + got + ", not " + winners.get(key));
        }
        String replay = op.execute(key, key, () -> "ran again");
        if (!replay.equals(winners.get(key))) {
          problems.add(key + ": a later retry got " + replay);
        }
      }
      for (String key : keys) {
        if (ledger.executions(run, key) != 2) {
          problems.add(key + ": the later retry ran the body");
        }
      }
      idem.close();
      Figures figures =
          new Figures(
                  "2 SIGSTOP past the lease, " + backend.name().toLowerCase(),
                  KEYS,
                  executions,
                  2 * KEYS,
                  problems.size(),
                  "frozen "
                      + frozenFor
                      + " ms (lease "
                      + LEASE.toMillis()
                      + " ms); 2 runs per key by design: the frozen owner and one takeover;"
                      + " fenced callers got the winner's value",
                  Backend.since(start) / 1000.0)
              .print();
      assertThat(problems).as("violations").isEmpty();
      assertThat(figures.passed()).isTrue();
    } finally {
      pool.shutdownNow();
      if (owner != null) {
        owner.close();
      }
    }
  }
}
