package dev.idem.store.sql;

import dev.idem.store.sql.Databases.Kind;

/** The transactional mode at the store SPI, on PostgreSQL. */
class PostgresTransactionalStoreTest extends TransactionalStoreCases {
  @Override
  Kind kind() {
    return Kind.POSTGRES;
  }
}
