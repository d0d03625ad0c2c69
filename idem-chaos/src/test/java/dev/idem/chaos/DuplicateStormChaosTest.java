package dev.idem.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.IdempotentOperation;
import dev.idem.annotation.OnInProgress;
import dev.idem.test.chaos.FaultInjectingStore;
import dev.idem.test.chaos.RetrySafety;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Scenario 1, duplicate storms: {@value #WORKERS} worker JVMs call each of {@value #KEYS} keys
 * {@value #DUPS_PER_WORKER} times at once (so {@value #KEYS} x {@value #DUPLICATES} calls), each
 * through {@link FaultInjectingStore#standard} (delays, failed and lost-reply claims, failed and
 * lost-reply completions) in front of the private server, callers retrying 409/503 like clients.
 * Every key must run exactly once (the ledger) and every caller, in every JVM, must get the same
 * value. Then the toolkit's {@link RetrySafety} drives a few keys from this JVM against the same
 * server.
 */
@Tag("chaos")
class DuplicateStormChaosTest {

  static final int WORKERS = 3;
  static final int KEYS = 60;
  static final int DUPS_PER_WORKER = 3;
  static final int DUPLICATES = WORKERS * DUPS_PER_WORKER;
  static final int TOOLKIT_TRIALS = 5;
  static final Duration LEASE = Duration.ofSeconds(5);

  @ParameterizedTest
  @EnumSource(Backend.class)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void everyKeyRunsOnceAcrossWorkerJvms(Backend backend) throws Exception {
    long start = System.nanoTime();
    String run = ChaosServers.run("storm-" + backend.name().toLowerCase());
    Ledger ledger = ChaosServers.ledger();
    List<String> keys = Backend.keys(run, KEYS);
    List<WorkerProcess> workers = new ArrayList<>();
    try (Backend.Opened opened = backend.open(run)) {
      for (int w = 0; w < WORKERS; w++) {
        workers.add(
            WorkerProcess.start(
                run + "-w" + w,
                Backend.args(
                    "storm",
                    backend,
                    run,
                    "--keys",
                    String.join(",", keys),
                    "--dups",
                    DUPS_PER_WORKER,
                    "--threads",
                    12,
                    "--lease-ms",
                    LEASE.toMillis(),
                    "--faults-seed",
                    run.hashCode() * 31L + w)));
      }
      for (WorkerProcess worker : workers) {
        worker.awaitPrefix("READY", 120_000);
      }
      workers.forEach(w -> w.send("GO"));
      for (WorkerProcess worker : workers) {
        worker.awaitPrefix("DONE", 240_000);
      }

      Map<String, Set<String>> valuesPerKey = new HashMap<>();
      int results = 0;
      List<String> errors = new ArrayList<>();
      for (WorkerProcess worker : workers) {
        for (String line : worker.lines("RESULT ")) {
          valuesPerKey
              .computeIfAbsent(Backend.lineKey(line), k -> new HashSet<>())
              .add(Backend.resultValue(line));
          results++;
        }
        worker.lines("ERROR ").forEach(l -> errors.add(worker.name() + ": " + l));
      }
      int executions = 0;
      List<String> problems = new ArrayList<>(errors);
      for (String key : keys) {
        int ran = ledger.executions(run, key);
        executions += ran;
        if (ran != 1) {
          problems.add(key + " ran " + ran + " times: " + ledger.entries(run, key));
        }
        Set<String> values = valuesPerKey.getOrDefault(key, Set.of());
        if (values.size() != 1) {
          problems.add(key + ": callers got " + values.size() + " different values " + values);
        }
      }
      if (results != KEYS * DUPLICATES) {
        problems.add(results + " callers answered, expected " + KEYS * DUPLICATES);
      }

      // the toolkit in this JVM, against the same private server
      int toolkitExecutions = toolkit(backend, opened, run, ledger, problems);

      Figures figures =
          new Figures(
                  "1 duplicate storm, " + backend.name().toLowerCase(),
                  KEYS * DUPLICATES + TOOLKIT_TRIALS,
                  executions + toolkitExecutions,
                  KEYS + TOOLKIT_TRIALS,
                  problems.size(),
                  WORKERS
                      + " JVMs x "
                      + KEYS
                      + " keys x "
                      + DUPLICATES
                      + " callers with standard faults, plus "
                      + TOOLKIT_TRIALS
                      + " RetrySafety trials",
                  Backend.since(start) / 1000.0)
              .print();
      assertThat(problems).as("violations").isEmpty();
      assertThat(figures.passed()).isTrue();
    } finally {
      Backend.closeAll(workers);
    }
  }

  private static int toolkit(
      Backend backend, Backend.Opened opened, String run, Ledger ledger, List<String> problems) {
    int executions = 0;
    for (int trial = 0; trial < TOOLKIT_TRIALS; trial++) {
      FaultInjectingStore faults =
          FaultInjectingStore.standard(opened.store(), run.hashCode() + trial, LEASE);
      Idempotency idem = Backend.idempotency(faults, "parent-" + trial, LEASE, OnInProgress.WAIT);
      IdempotentOperation<String> op = idem.operation("chaos.toolkit", String.class).build();
      String key = "toolkit-" + trial;
      try {
        RetrySafety.of(
                () ->
                    op.execute(
                        key,
                        key,
                        () -> {
                          ledger.executed(run, key, "parent");
                          return "parent/" + key + "/" + System.nanoTime();
                        }))
            .effects(() -> ledger.executions(run, key))
            .faults(faults)
            .duplicates(8)
            .lostResponses(2)
            .deadline(Duration.ofSeconds(90))
            .assertRetrySafe();
      } catch (AssertionError e) {
        problems.add("RetrySafety on " + backend + ": " + e.getMessage());
      } finally {
        idem.close();
      }
      executions += ledger.executions(run, key);
    }
    return executions;
  }
}
