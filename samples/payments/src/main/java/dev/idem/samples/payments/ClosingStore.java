package dev.idem.samples.payments;

import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.store.sql.JooqIdempotencyStore;

/** A SQL store that also closes the connection pool the demo created for it. */
final class ClosingStore extends ForwardingIdempotencyStore {

  private final String tableName;
  private final AutoCloseable pool;

  ClosingStore(JooqIdempotencyStore store, String tableName, AutoCloseable pool) {
    super(store);
    this.tableName = tableName;
    this.pool = pool;
  }

  /** Returns the store's table, as given to its builder. */
  String tableName() {
    return tableName;
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
