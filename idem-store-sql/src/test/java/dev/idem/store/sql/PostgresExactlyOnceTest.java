package dev.idem.store.sql;

import dev.idem.store.sql.Databases.Kind;

/** Exactly-once effect with business writes, on PostgreSQL. */
class PostgresExactlyOnceTest extends ExactlyOnceCases {
  @Override
  Kind kind() {
    return Kind.POSTGRES;
  }
}
