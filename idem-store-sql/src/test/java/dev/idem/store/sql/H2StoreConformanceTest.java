package dev.idem.store.sql;

import dev.idem.spi.IdempotencyStore;
import dev.idem.test.store.IdempotencyStoreContract;
import java.time.Duration;

/** The store conformance kit on H2, in memory. */
class H2StoreConformanceTest extends IdempotencyStoreContract {

  private static final JooqIdempotencyStore STORE =
      Databases.warmedUp(Databases.freshStore(Databases.Kind.H2, "idem_kit_records"));

  @Override
  protected IdempotencyStore store() {
    return STORE;
  }

  @Override
  protected Duration lease() {
    return Databases.KIT_LEASE;
  }

  @Override
  protected Duration margin() {
    return Databases.KIT_MARGIN;
  }

  @Override
  protected void elapse(Duration duration) {
    sleep(duration); // the store uses the database's clock
  }
}
