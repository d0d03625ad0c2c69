package dev.idem.samples.payments;

import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.spi.IdempotencyStore;

/** A store that also closes the connection pool the demo created for it. */
final class ClosingStore extends ForwardingIdempotencyStore {

  private final AutoCloseable pool;

  ClosingStore(IdempotencyStore store, AutoCloseable pool) {
    super(store);
    this.pool = pool;
  }

  @Override
  public void close() {
    super.close();
    try {
      pool.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot close the connection pool", e);
    }
  }
}
