package dev.idem.store.sql;

import dev.idem.store.sql.Databases.Kind;

/** Outages through a TCP proxy, on PostgreSQL. */
class PostgresOutageTest extends OutageCases {
  @Override
  Kind kind() {
    return Kind.POSTGRES;
  }

  @Override
  String timeouts() {
    return "connectTimeout=2&socketTimeout=1&loginTimeout=2";
  }
}
