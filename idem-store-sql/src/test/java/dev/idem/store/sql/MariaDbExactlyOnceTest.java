package dev.idem.store.sql;

import dev.idem.store.sql.Databases.Kind;

/** Exactly-once effect with business writes, on MariaDB. */
class MariaDbExactlyOnceTest extends ExactlyOnceCases {
  @Override
  Kind kind() {
    return Kind.MARIADB;
  }
}
