package dev.idem.store.sql;

import dev.idem.spi.IdempotencyStore;
import dev.idem.test.store.TakeoverThroughEngineContract;
import java.time.Duration;

/** A real takeover through two engines on PostgreSQL, fenced by the store's token check. */
class PostgresTakeoverThroughEngineTest extends TakeoverThroughEngineContract {

  private static final JooqIdempotencyStore STORE =
      Databases.warmedUp(
          Databases.freshStore(Databases.Kind.POSTGRES, Databases.table("idem_takeover")));

  @Override
  protected IdempotencyStore store() {
    return STORE;
  }

  @Override
  protected Duration lease() {
    return Databases.KIT_LEASE;
  }
}
