package dev.idem.store.sql;

import dev.idem.spi.IdempotencyStore;
import dev.idem.store.sql.Databases.Kind;
import dev.idem.test.store.IdempotencyStoreContract;
import dev.idem.test.store.PurgeContract;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The store conformance kit on every database the store supports: PostgreSQL, MariaDB and H2. */
@ParameterizedClass(name = "{0}")
@EnumSource(Kind.class)
class SqlStoreConformanceTest extends IdempotencyStoreContract implements PurgeContract {

  /** One warmed-up store per database, on a table of this JVM's own, shared by all its tests. */
  private static final Map<Kind, JooqIdempotencyStore> STORES = new ConcurrentHashMap<>();

  private final Kind kind;

  SqlStoreConformanceTest(Kind kind) {
    this.kind = kind;
  }

  @Override
  public IdempotencyStore store() {
    return STORES.computeIfAbsent(
        kind,
        k -> Databases.warmedUp(Databases.freshStore(k, Databases.table("idem_kit_records"))));
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
