package dev.idem.internal;

/** Records nothing and reads no clock: the metrics of an engine without a meter registry. */
final class NoopEngineMetrics
    implements EngineMetrics, EngineMetrics.OperationMetrics, EngineMetrics.StoreMetrics {

  static final NoopEngineMetrics INSTANCE = new NoopEngineMetrics();

  private NoopEngineMetrics() {}

  @Override
  public OperationMetrics operation(String name) {
    return this;
  }

  @Override
  public StoreMetrics store(String storeName) {
    return this;
  }

  @Override
  public long startTime() {
    return 0;
  }

  @Override
  public void call(CallOutcome outcome, long startTime) {}

  @Override
  public void waited(WaitResult result, long startTime) {}

  @Override
  public void takeover() {}

  @Override
  public void fencingRejection() {}

  @Override
  public void failOpen() {}

  @Override
  public void request(StoreOperation operation, StoreResult result, long startTime) {}
}
