package dev.idem.store.sql;

import dev.idem.spi.IdempotencyStore;
import dev.idem.test.store.IdempotencyStoreContract;
import dev.idem.test.store.PurgeContract;
import java.time.Duration;

/** The store conformance kit on MariaDB. */
class MariaDbStoreConformanceTest extends IdempotencyStoreContract implements PurgeContract {

  private static final JooqIdempotencyStore STORE =
      Databases.warmedUp(
          Databases.freshStore(Databases.Kind.MARIADB, Databases.table("idem_kit_records")));

  @Override
  public IdempotencyStore store() {
    return STORE;
  }

  @Override
  public Duration lease() {
    return Databases.KIT_LEASE;
  }

  @Override
  public Duration margin() {
    return Databases.KIT_MARGIN;
  }

  @Override
  public void elapse(Duration duration) {
    sleep(duration); // the store uses the database's clock
  }
}
