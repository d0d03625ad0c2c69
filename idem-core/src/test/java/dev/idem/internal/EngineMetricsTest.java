package dev.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.IdempotencyMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class EngineMetricsTest {

  @Test
  void withoutARegistryTheEngineGetsTheNoOpThatReadsNoClock() {
    EngineMetrics metrics = EngineMetrics.of(null);
    assertThat(metrics).isSameAs(EngineMetrics.NOOP);
    assertThat(metrics.operation("a")).isSameAs(metrics.operation("b"));
    assertThat(metrics.operation("a").startTime()).isZero();
    assertThat(metrics.store("memory").startTime()).isZero();
  }

  @Test
  void metersArePreBuiltOncePerOperationAndStore() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EngineMetrics metrics = EngineMetrics.of(registry);
    EngineMetrics.OperationMetrics op = metrics.operation("op");
    int registered = registry.getMeters().size();

    assertThat(metrics.operation("op")).isSameAs(op);
    op.call(EngineMetrics.CallOutcome.EXECUTED, op.startTime());
    op.call(EngineMetrics.CallOutcome.EXECUTED, op.startTime());
    assertThat(registry.getMeters()).hasSize(registered);
    assertThat(
            registry
                .get(IdempotencyMetrics.CALLS)
                .tags(IdempotencyMetrics.TAG_NAME, "op", IdempotencyMetrics.TAG_OUTCOME, "executed")
                .counter()
                .count())
        .isEqualTo(2);

    EngineMetrics.StoreMetrics store = metrics.store("redis");
    assertThat(metrics.store("redis")).isSameAs(store);
    store.request(
        EngineMetrics.StoreOperation.CLAIM, EngineMetrics.StoreResult.ACQUIRED, store.startTime());
    // a pair that cannot happen is ignored rather than registered
    store.request(
        EngineMetrics.StoreOperation.CLAIM, EngineMetrics.StoreResult.APPLIED, store.startTime());
    assertThat(
            registry
                .get(IdempotencyMetrics.STORE_REQUESTS)
                .tags("store", "redis", "operation", "claim", "result", "acquired")
                .timer()
                .count())
        .isEqualTo(1);
    assertThat(registry.find(IdempotencyMetrics.STORE_REQUESTS).tag("result", "applied").timers())
        .allSatisfy(t -> assertThat(t.getId().getTag("operation")).isNotEqualTo("claim"));
  }
}
