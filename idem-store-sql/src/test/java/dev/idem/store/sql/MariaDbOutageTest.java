package dev.idem.store.sql;

import dev.idem.store.sql.Databases.Kind;

/** Outages through a TCP proxy, on MariaDB. */
class MariaDbOutageTest extends OutageCases {
  @Override
  Kind kind() {
    return Kind.MARIADB;
  }

  @Override
  String timeouts() {
    return "connectTimeout=2000&socketTimeout=1000";
  }
}
