package dev.idem.internal;

import dev.idem.IdempotencyMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Records the engine's meters in a Micrometer registry. The meters of an operation are registered
 * together at its first call and kept in arrays indexed by outcome, so a call costs one map lookup
 * by operation name and no tag building.
 */
final class MicrometerEngineMetrics implements EngineMetrics {

  private final MeterRegistry registry;
  private final ConcurrentMap<String, Operation> operations = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Store> stores = new ConcurrentHashMap<>();

  MicrometerEngineMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public OperationMetrics operation(String name) {
    Operation meters = operations.get(name);
    return meters != null ? meters : operations.computeIfAbsent(name, Operation::new);
  }

  @Override
  public StoreMetrics store(String storeName) {
    Store meters = stores.get(storeName);
    return meters != null ? meters : stores.computeIfAbsent(storeName, Store::new);
  }

  private static void record(Timer timer, long startTime) {
    timer.record(System.nanoTime() - startTime, TimeUnit.NANOSECONDS);
  }

  private final class Operation implements OperationMetrics {
    private final Counter[] calls;
    private final Timer[] durations;
    private final Timer[] waits;
    private final Counter takeovers;
    private final Counter fencingRejections;
    private final Counter failOpen;

    Operation(String name) {
      CallOutcome[] outcomes = CallOutcome.values();
      calls = new Counter[outcomes.length];
      durations = new Timer[outcomes.length];
      for (CallOutcome outcome : outcomes) {
        calls[outcome.ordinal()] =
            Counter.builder(IdempotencyMetrics.CALLS)
                .description("Calls of idempotent operations, by outcome")
                .tag(IdempotencyMetrics.TAG_NAME, name)
                .tag(IdempotencyMetrics.TAG_OUTCOME, outcome.tag)
                .register(registry);
        durations[outcome.ordinal()] =
            Timer.builder(IdempotencyMetrics.CALL_DURATION)
                .description("Duration of calls of idempotent operations, by outcome")
                .tag(IdempotencyMetrics.TAG_NAME, name)
                .tag(IdempotencyMetrics.TAG_OUTCOME, outcome.tag)
                .register(registry);
      }
      WaitResult[] results = WaitResult.values();
      waits = new Timer[results.length];
      for (WaitResult result : results) {
        waits[result.ordinal()] =
            Timer.builder(IdempotencyMetrics.WAIT)
                .description("Time duplicates waited for a running call")
                .tag(IdempotencyMetrics.TAG_NAME, name)
                .tag(IdempotencyMetrics.TAG_RESULT, result.tag)
                .register(registry);
      }
      takeovers =
          Counter.builder(IdempotencyMetrics.TAKEOVERS)
              .description("Claims that took over a key whose lease had ended")
              .tag(IdempotencyMetrics.TAG_NAME, name)
              .register(registry);
      fencingRejections =
          Counter.builder(IdempotencyMetrics.FENCING_REJECTIONS)
              .description("Results not stored because the token was stale")
              .tag(IdempotencyMetrics.TAG_NAME, name)
              .register(registry);
      failOpen =
          Counter.builder(IdempotencyMetrics.FAIL_OPEN)
              .description("Bodies run unprotected because the store failed")
              .tag(IdempotencyMetrics.TAG_NAME, name)
              .register(registry);
    }

    @Override
    public long startTime() {
      return System.nanoTime();
    }

    @Override
    public void call(CallOutcome outcome, long startTime) {
      calls[outcome.ordinal()].increment();
      record(durations[outcome.ordinal()], startTime);
    }

    @Override
    public void waited(WaitResult result, long startTime) {
      record(waits[result.ordinal()], startTime);
    }

    @Override
    public void takeover() {
      takeovers.increment();
    }

    @Override
    public void fencingRejection() {
      fencingRejections.increment();
    }

    @Override
    public void failOpen() {
      failOpen.increment();
    }
  }

  private final class Store implements StoreMetrics {
    /** Indexed by operation, then result; null where the pair cannot happen. */
    private final Timer[][] requests;

    Store(String storeName) {
      requests = new Timer[StoreOperation.values().length][StoreResult.values().length];
      for (StoreOperation operation : StoreOperation.values()) {
        StoreResult[] results =
            operation == StoreOperation.CLAIM
                ? new StoreResult[] {
                  StoreResult.ACQUIRED,
                  StoreResult.IN_PROGRESS,
                  StoreResult.COMPLETED,
                  StoreResult.ERROR
                }
                : new StoreResult[] {StoreResult.APPLIED, StoreResult.REJECTED, StoreResult.ERROR};
        for (StoreResult result : results) {
          requests[operation.ordinal()][result.ordinal()] =
              Timer.builder(IdempotencyMetrics.STORE_REQUESTS)
                  .description("Round trips to the idempotency store")
                  .tag(IdempotencyMetrics.TAG_STORE, storeName)
                  .tag(IdempotencyMetrics.TAG_OPERATION, operation.tag)
                  .tag(IdempotencyMetrics.TAG_RESULT, result.tag)
                  .register(registry);
        }
      }
    }

    @Override
    public long startTime() {
      return System.nanoTime();
    }

    @Override
    public void request(StoreOperation operation, StoreResult result, long startTime) {
      Timer timer = requests[operation.ordinal()][result.ordinal()];
      if (timer != null) {
        record(timer, startTime);
      }
    }
  }
}
