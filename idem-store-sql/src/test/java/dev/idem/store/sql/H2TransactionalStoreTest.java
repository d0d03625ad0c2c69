package dev.idem.store.sql;

import dev.idem.store.sql.Databases.Kind;

/** The transactional mode at the store SPI, on H2, in memory. */
class H2TransactionalStoreTest extends TransactionalStoreCases {
  @Override
  Kind kind() {
    return Kind.H2;
  }
}
