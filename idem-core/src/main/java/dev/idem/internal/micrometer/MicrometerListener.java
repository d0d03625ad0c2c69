package dev.idem.internal.micrometer;

import dev.idem.IdempotencyListener;
import dev.idem.IdempotencyMetrics;
import dev.idem.IdempotentCall;
import dev.idem.IdempotentCall.Outcome;
import dev.idem.IdempotentCall.WaitResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Records how calls ended in a Micrometer registry: {@value IdempotencyMetrics#CALLS}, {@value
 * IdempotencyMetrics#CALL_DURATION}, {@value IdempotencyMetrics#WAIT}, {@value
 * IdempotencyMetrics#TAKEOVERS}, {@value IdempotencyMetrics#FENCING_REJECTIONS} and {@value
 * IdempotencyMetrics#FAIL_OPEN}. The meters of an operation are registered together when its first
 * call ends and kept in arrays indexed by outcome, so a call costs one map lookup by operation name
 * and no tag building.
 */
public final class MicrometerListener implements IdempotencyListener {

  private final MeterRegistry registry;
  private final ConcurrentMap<String, Meters> operations = new ConcurrentHashMap<>();

  /**
   * Creates a listener recording in a registry.
   *
   * @param registry the registry
   */
  public MicrometerListener(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void onCall(IdempotentCall call) {
    Meters meters = operations.get(call.operation());
    if (meters == null) {
      meters = operations.computeIfAbsent(call.operation(), Meters::new);
    }
    meters.record(call);
  }

  /** The meters of one operation. */
  private final class Meters {
    private final Counter[] calls;
    private final Timer[] durations;
    private final Timer[] waits;
    private final Counter takeovers;
    private final Counter fencingRejections;
    private final Counter failOpen;

    Meters(String name) {
      Tags named = Tags.of(IdempotencyMetrics.TAG_NAME, name);
      Outcome[] outcomes = Outcome.values();
      calls = new Counter[outcomes.length];
      durations = new Timer[outcomes.length];
      for (Outcome outcome : outcomes) {
        Tags tags = named.and(IdempotencyMetrics.TAG_OUTCOME, outcome.tag());
        calls[outcome.ordinal()] =
            counter(IdempotencyMetrics.CALLS, "Calls of idempotent operations, by outcome", tags);
        durations[outcome.ordinal()] =
            Timer.builder(IdempotencyMetrics.CALL_DURATION)
                .description("Duration of calls of idempotent operations, by outcome")
                .tags(tags)
                .register(registry);
      }
      WaitResult[] results = WaitResult.values();
      waits = new Timer[results.length];
      for (WaitResult result : results) {
        waits[result.ordinal()] =
            Timer.builder(IdempotencyMetrics.WAIT)
                .description("Time duplicates waited for a running call")
                .tags(named.and(IdempotencyMetrics.TAG_RESULT, result.tag()))
                .register(registry);
      }
      takeovers =
          counter(
              IdempotencyMetrics.TAKEOVERS,
              "Claims that took over a key whose lease had ended",
              named);
      fencingRejections =
          counter(
              IdempotencyMetrics.FENCING_REJECTIONS,
              "Results not stored because the token was stale",
              named);
      failOpen =
          counter(
              IdempotencyMetrics.FAIL_OPEN,
              "Bodies run unprotected because the store failed",
              named);
    }

    private Counter counter(String meter, String description, Tags tags) {
      return Counter.builder(meter).description(description).tags(tags).register(registry);
    }

    void record(IdempotentCall call) {
      int outcome = call.outcome().ordinal();
      calls[outcome].increment();
      durations[outcome].record(call.durationNanos(), TimeUnit.NANOSECONDS);
      WaitResult waited = call.waitResult();
      if (waited != null) {
        waits[waited.ordinal()].record(call.waitNanos(), TimeUnit.NANOSECONDS);
      }
      if (call.tookOver()) {
        takeovers.increment();
      }
      if (call.fencedOff()) {
        fencingRejections.increment();
      }
      if (call.failedOpen()) {
        failOpen.increment();
      }
    }
  }
}
